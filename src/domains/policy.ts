/**
 * Domain policy rules shared by join, leave and the admin API (docs/domain-server.md;
 * docs/domain-protocol.md §3, §6, §7).
 */
import type { Kysely } from 'kysely';
import type { PolicyDefaults } from '../platform/config.js';
import type { Storage } from '../platform/storage/database.js';
import type { Database } from '../platform/storage/schema.js';
import { transaction } from '../platform/storage/transaction.js';
import { hasControlCharacter, storableText } from '../platform/text.js';
import type { AuthClaims } from '../platform/tokens/auth-tokens.js';
import type { DomainKeys } from './domain-keys.js';
import type { DomainRequest } from './envelope.js';
import { DomainError } from './errors.js';
import { formerMember } from './former-members.js';
import type { JoinLimits } from './limits.js';
import { machinesMatch } from './machine-id.js';
import type { DomainMetrics } from './metrics.js';
import type { DomainRecord, Mode, RegistrationRecord } from './records.js';
import { recordMessage } from './seen-messages.js';
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
  /** What is counted for Prometheus (metrics.ts). */
  metrics: DomainMetrics;
}

/** Which domain a request addresses: anonymous domains by URL, identity domains by auth token. */
export type DomainTarget = { mode: 'anonymous'; name: string } | { mode: 'identity' };

/**
 * What a request's auth token came to (envelope.ts): its claims when it verified, why not when it
 * did not; neither when the request has none. Where a token counts is decided here.
 */
export interface PresentedAuth {
  auth: AuthClaims | undefined;
  authError?: string | undefined;
}

/**
 * An anonymous domain name (docs/domain-server.md, "Domain names"): 1 to 128 letters, digits,
 * ".", "_", "-" and ":", not starting with "." — so no name is a dot-segment ("." or "..") that
 * URL normalisation would resolve away in the domain server URL, whatever the client spelled.
 */
export const ANONYMOUS_DOMAIN_NAME = /^[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,127}$/;
export const ANONYMOUS_DOMAIN_NAME_RULE =
  'an anonymous domain name is 1 to 128 letters, digits, ".", "_", "-" or ":", not starting with "."';

/** The longest identity domain name: what `dn` and the admin API's paths carry. */
export const MAX_IDENTITY_DOMAIN_NAME = 512;

/**
 * The identity domain of an auth token: `{nq}:{sub}` with "%" and ":" of the sub percent-encoded
 * (`%25`, `%3A`), so the last ":" separates the two and no two identities share a domain
 * (issue 9). Names stay readable: only a sub holding "%" or ":" is spelled differently.
 */
export function identityDomainName(namespace: string, subject: string): string {
  return `${namespace}:${subject.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'))}`;
}

/** The sub part of an identity domain name: text with "%" only as `%25` or `%3A`, and no ":". */
const ESCAPED_SUBJECT = /^(?:[^%:]|%25|%3A)+$/;

/**
 * Whether identityDomainName gives `name` for some token this server takes: a non-empty nq and
 * sub, no control characters and nothing a database cannot store as given (platform/text.ts), at
 * most MAX_IDENTITY_DOMAIN_NAME characters.
 */
export function isIdentityDomainName(name: string): boolean {
  const separator = name.lastIndexOf(':');
  return (
    separator > 0 &&
    name.length <= MAX_IDENTITY_DOMAIN_NAME &&
    ESCAPED_SUBJECT.test(name.slice(separator + 1)) &&
    !hasControlCharacter(name) &&
    storableText(name)
  );
}

/** The domain server URL a policy names for a domain: the base the client appends paths to. */
export function serverUrlOf(publicRoot: string, mode: Mode, name: string): string {
  return mode === 'identity' ? publicRoot : `${publicRoot}/flashaccess/domainserver/${encodeURIComponent(name)}`;
}

/**
 * The domain name of a request. Identity mode takes it from the auth token, which it therefore
 * always consults: none is DOM_AUTHENTICATION_REQUIRED, a bad one (or one whose nq and sub name
 * no domain) REQ_AUTH_TOKEN_INVALID_EXPIRED.
 */
export function domainNameOf(target: DomainTarget, presented: PresentedAuth): string {
  if (target.mode === 'anonymous') return target.name;
  if (presented.authError !== undefined) throw new DomainError('REQ_AUTH_TOKEN_INVALID_EXPIRED', presented.authError);
  const { auth } = presented;
  if (!auth) throw new DomainError('DOM_AUTHENTICATION_REQUIRED', 'identity-based domains need an auth token');
  const name = identityDomainName(auth.namespace, auth.subject);
  if (!isIdentityDomainName(name)) {
    throw new DomainError(
      'REQ_AUTH_TOKEN_INVALID_EXPIRED',
      `the auth token's nq and sub name no domain: text without control characters, ${MAX_IDENTITY_DOMAIN_NAME} characters at most`,
    );
  }
  return name;
}

/**
 * Why a request does not satisfy the domain's authentication policy, or undefined when it does.
 * As in the RI, only a domain that requires authentication looks at the token (and at its
 * namespace); where none is required, a token sent anyway is not consulted at all, valid or not.
 */
export function authenticationProblem(domain: DomainRecord, presented: PresentedAuth): DomainError | undefined {
  if (!domain.authRequired) return undefined;
  if (presented.authError !== undefined) {
    return new DomainError('REQ_AUTH_TOKEN_INVALID_EXPIRED', presented.authError);
  }
  if (!presented.auth) return new DomainError('DOM_AUTHENTICATION_REQUIRED', 'this domain needs an auth token');
  if (domain.authNamespace !== null && presented.auth.namespace !== domain.authNamespace) {
    return new DomainError(
      'DOM_AUTHENTICATION_REQUIRED',
      `this domain needs an auth token of namespace ${domain.authNamespace}`,
    );
  }
  return undefined;
}

/** A domain that requires authentication needs a valid token, of its namespace if it has one. */
export function checkAuthentication(domain: DomainRecord, presented: PresentedAuth): void {
  const problem = authenticationProblem(domain, presented);
  if (problem) throw problem;
}

/**
 * The member checks of leave, members and remove (docs/domain-protocol.md §9): the machine's GUID
 * is a registration of the domain and, in identity mode, the request comes from a machine that
 * matches the one that registration is on. A GUID that was removed or evicted is told so
 * (DOM_NOT_MEMBER), any other non-member is DEREG_DENIED.
 */
export async function requireMember(
  deps: Pick<DomainDeps, 'store'>,
  db: Kysely<Database>,
  domain: DomainRecord,
  request: Pick<DomainRequest, 'machine'>,
): Promise<RegistrationRecord> {
  const { guid, components } = request.machine;
  const registration = await deps.store.findRegistration(db, domain.id, guid);
  if (!registration) {
    const former = await formerMember(db, domain.id, guid);
    if (former) throw new DomainError('DOM_NOT_MEMBER', `this machine was ${former} from the domain`);
    throw new DomainError('DEREG_DENIED', 'this machine is not a member of the domain');
  }
  if (domain.mode === 'identity' && !machinesMatch(registration.components, components)) {
    throw new DomainError('DEREG_DENIED', 'this machine does not match the member machine');
  }
  return registration;
}

/**
 * Runs a member's request (leave, members, remove) in one transaction: records its message id,
 * finds the domain (locking it when `lock`), then makes the checks they share in docs/domain-
 * protocol.md's order — no such domain (DEREG_DENIED), authentication, the member checks — and
 * hands `work` the domain and the requesting registration.
 */
export function asMember<T>(
  deps: DomainDeps,
  request: DomainRequest,
  target: DomainTarget,
  lock: boolean,
  work: (
    trx: Kysely<Database>,
    domain: DomainRecord,
    self: RegistrationRecord,
    name: string,
    now: number,
  ) => Promise<T>,
): Promise<T> {
  const name = domainNameOf(target, request);
  return transaction(deps.storage, async (trx) => {
    const now = Date.now();
    await recordMessage(trx, request.machine.guid, request.mid, now, now - deps.replayWindowMs);
    const domain = await (lock ? deps.store.lockDomain : deps.store.findDomain).call(
      deps.store,
      trx,
      target.mode,
      name,
    );
    if (!domain) throw new DomainError('DEREG_DENIED', 'no such domain');
    checkAuthentication(domain, request);
    return work(trx, domain, await requireMember(deps, trx, domain, request), name, now);
  });
}

/** A suspended domain refuses joins and removals (docs/domain-protocol.md §7). */
export function checkNotSuspended(domain: DomainRecord): void {
  if (domain.suspended) throw new DomainError('DOM_SUSPENDED', 'this domain is suspended by its operator');
}
