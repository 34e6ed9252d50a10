/** Domain policy rules shared by join and leave (domain-protocol.md §1, §4, §5). */
import type { PolicyDefaults } from '../platform/config.js';
import type { Storage } from '../platform/storage/database.js';
import type { AuthClaims } from '../platform/tokens/auth-tokens.js';
import type { DomainKeys } from './domain-keys.js';
import { DomainError } from './errors.js';
import type { JoinLimits } from './limits.js';
import type { DomainRecord, Mode } from './records.js';
import type { DomainStore } from './store.js';

/** What join and leave need from the platform. */
export interface DomainDeps {
  storage: Storage;
  store: DomainStore;
  keys: DomainKeys;
  defaults: Record<Mode, PolicyDefaults>;
  /** Public root URL of this server, without a trailing slash. */
  publicRoot(): string;
  /** How long a message id stays remembered. */
  replayWindowMs: number;
  /** Rate limits a join takes as it creates a domain or adds a membership (limits.ts); per request. */
  limits: JoinLimits;
}

/** Which domain a request addresses: anonymous domains by URL, identity domains by auth token. */
export type DomainTarget = { mode: 'anonymous'; name: string } | { mode: 'identity' };

export const ANONYMOUS_DOMAIN_NAME = /^[A-Za-z0-9._:-]{1,128}$/;

/** The domain server URL a policy names for a domain: the base the client appends paths to. */
export function serverUrlOf(publicRoot: string, mode: Mode, name: string): string {
  return mode === 'identity' ? publicRoot : `${publicRoot}/flashaccess/domainserver/${encodeURIComponent(name)}`;
}

/** The domain name of a request; identity mode takes it from the auth token as `{nq}:{sub}`. */
export function domainNameOf(target: DomainTarget, auth: AuthClaims | undefined): string {
  if (target.mode === 'anonymous') return target.name;
  if (!auth) throw new DomainError('DOM_AUTHENTICATION_REQUIRED', 'identity-based domains need an auth token');
  return `${auth.namespace}:${auth.subject}`;
}

/** Why `auth` does not satisfy the domain's authentication policy, or undefined when it does. */
export function authenticationProblem(domain: DomainRecord, auth: AuthClaims | undefined): string | undefined {
  if (domain.authRequired && !auth) return 'this domain needs an auth token';
  if (auth && domain.authNamespace !== null && auth.namespace !== domain.authNamespace) {
    return `this domain needs an auth token of namespace ${domain.authNamespace}`;
  }
  return undefined;
}

/** A domain that requires authentication needs a valid token, of its namespace if it has one. */
export function checkAuthentication(domain: DomainRecord, auth: AuthClaims | undefined): void {
  const problem = authenticationProblem(domain, auth);
  if (problem) throw new DomainError('DOM_AUTHENTICATION_REQUIRED', problem);
}
