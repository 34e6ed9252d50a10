/**
 * Operator actions on domains (docs/domain-server.md, "Admin API"): list and find domains, read and
 * set policy, list and remove members, force a key rollover, read the events. Each change records
 * its event (events.ts) in its transaction, the operator as its actor.
 */
import { type Kysely, sql } from 'kysely';
import { AdminError } from '../platform/http/admin.js';
import type { Database } from '../platform/storage/schema.js';
import { transaction } from '../platform/storage/transaction.js';
import { type Actor, type EventKind, listEvents, OPERATOR, recordEvent } from './events.js';
import { markFormerMembers } from './former-members.js';
import { listKeys } from './key-rows.js';
import { releaseRegistration } from './leave.js';
import {
  ANONYMOUS_DOMAIN_NAME,
  ANONYMOUS_DOMAIN_NAME_RULE,
  type DomainDeps,
  isIdentityDomainName,
  MAX_IDENTITY_DOMAIN_NAME,
  serverUrlOf,
} from './policy.js';
import type { DomainRecord, Mode, PolicyPatch } from './records.js';
import { resetRemovals } from './removal-limit.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A domain's policy as the admin API spells it (docs/domain-server.md, "Domain policy"). */
export interface Policy {
  authRequired: boolean;
  authNamespace: string | null;
  maxMembership: number | null;
  disabled: boolean;
  removalLimit: { removals: number; periodSeconds: number } | null;
  evictAfterSeconds: number | null;
  keyRetentionSeconds: number | null;
}

export type PolicyInput = Partial<Policy>;

export const PAGE_SIZE = 50;

export class DomainAdmin {
  constructor(private readonly deps: DomainDeps) {}

  async list(filter: {
    mode?: Mode;
    q?: string;
    /** Only the domains this machine GUID is a registration of. */
    member?: string;
    cursor?: string;
    limit?: number;
  }): Promise<Page<DomainSummary>> {
    const limit = filter.limit ?? PAGE_SIZE;
    let query = this.deps.storage.db
      .selectFrom('domains')
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (filter.mode) query = query.where('mode', '=', filter.mode);
    if (filter.q) {
      // Case-insensitive on both databases; SQLite has no default LIKE escape character: name it.
      const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(sql<boolean>`lower(${sql.ref('name')}) like ${pattern} escape ${'\\'}`);
    }
    if (filter.member) {
      const { member } = filter;
      query = query.where('id', 'in', (eb) =>
        eb.selectFrom('domain_registrations').select('domain_id').where('guid', '=', member),
      );
    }
    if (filter.cursor) query = query.where('id', '>', decodeCursor(filter.cursor));
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => ({
        mode: row.mode,
        name: row.name,
        members: row.member_count,
        maxMembership: row.max_membership,
        disabled: row.disabled === 1,
      })),
      nextCursor: rows.length > limit ? encodeCursor(page.at(-1)?.id ?? 0) : null,
    };
  }

  async get(mode: Mode, name: string): Promise<DomainDetails> {
    const domain = await this.#find(this.deps.storage.db, mode, name);
    const keys = await listKeys(this.deps.storage.db, domain.id);
    const serverUrl = serverUrlOf(this.deps.publicRoot(), mode, name);
    return details(
      domain,
      serverUrl,
      keys.map((k) => ({ version: k.version, createdAt: new Date(k.createdAt).toISOString() })),
    );
  }

  /** Creates the domain with this policy, or changes the given fields of an existing one. */
  async put(mode: Mode, name: string, input: PolicyInput): Promise<{ created: boolean; domain: DomainDetails }> {
    checkName(mode, name);
    checkPolicy(input);
    const patch = toPatch(input);
    const created = await transaction(this.deps.storage, async (trx) => {
      const now = Date.now();
      const change = async (domain: DomainRecord) => {
        await this.deps.store.updateDomain(trx, domain.id, patch, now);
        const detail = policyChanges(domain, input);
        if (detail) await recordEvent(trx, domain.id, { kind: 'policy_changed', actor: OPERATOR, detail }, now);
        return false;
      };
      const existing = await this.deps.store.lockDomain(trx, mode, name);
      if (existing) return change(existing);
      const defaults = this.deps.defaults[mode];
      const inserted = await this.deps.store.createDomain(
        trx,
        mode,
        name,
        {
          authRequired: patch.authRequired ?? defaults.authRequired,
          authNamespace: patch.authNamespace ?? null,
          maxMembership: patch.maxMembership === undefined ? defaults.maxMembership : patch.maxMembership,
          disabled: patch.disabled ?? false,
          removalLimit: patch.removalLimit ?? null,
          evictAfterS: patch.evictAfterS ?? null,
          keyRetentionS: patch.keyRetentionS ?? null,
        },
        now,
      );
      const domain = await this.deps.store.lockDomain(trx, mode, name);
      if (!domain) throw new Error(`domain ${mode}/${name} vanished after insert`);
      // A concurrent twin (a join, another PUT) made it first: this PUT changes its policy.
      if (!inserted) return change(domain);
      await recordEvent(trx, domain.id, { kind: 'created', actor: OPERATOR }, now);
      return true;
    });
    return { created, domain: await this.get(mode, name) };
  }

  async members(mode: Mode, name: string, cursor?: string, limit = PAGE_SIZE): Promise<Page<MemberSummary>> {
    const db = this.deps.storage.db;
    const domain = await this.#find(db, mode, name);
    let query = db
      .selectFrom('domain_registrations as r')
      .innerJoin('domain_machines as m', 'm.id', 'r.machine_row')
      .select(['r.guid', 'r.machine_row', 'm.components', 'r.first_seen', 'r.last_seen', 'r.label'])
      .where('r.domain_id', '=', domain.id)
      .orderBy('r.guid')
      .limit(limit + 1);
    if (cursor) query = query.where('r.guid', '>', Buffer.from(cursor, 'base64url').toString('utf8'));
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        guid: row.guid,
        label: row.label,
        machine: { slot: row.machine_row, components: JSON.parse(row.components) as string[] },
        firstSeen: new Date(Number(row.first_seen)).toISOString(),
        lastSeen: new Date(Number(row.last_seen)).toISOString(),
      })),
      nextCursor: rows.length > limit && last ? Buffer.from(last.guid).toString('base64url') : null,
    };
  }

  /**
   * Removes one registration as a committed leave would (freeing the slot sets key rollover); the
   * machine is then a former member, told so when it calls again. Not counted against the
   * domain's removal limit.
   */
  async removeMember(mode: Mode, name: string, guid: string): Promise<{ machineReleased: boolean }> {
    return transaction(this.deps.storage, async (trx) => {
      const domain = await this.deps.store.lockDomain(trx, mode, name);
      if (!domain) throw new AdminError(404, 'not_found', 'no such domain');
      const registration = await this.deps.store.findRegistration(trx, domain.id, guid);
      if (!registration) throw new AdminError(404, 'not_found', 'no such member');
      const now = Date.now();
      const machineReleased = await releaseRegistration(this.deps.store, trx, domain, registration, now);
      await markFormerMembers(trx, domain.id, [guid], 'removed', now);
      const detail = { machineReleased };
      await recordEvent(trx, domain.id, { kind: 'removed', actor: OPERATOR, subject: guid, detail }, now);
      return { machineReleased };
    });
  }

  /** The next join generates a new key version. */
  async rollover(mode: Mode, name: string): Promise<DomainDetails> {
    await this.#change(mode, name, async (trx, domain, now) => {
      await this.deps.store.updateDomain(trx, domain.id, { keyRolloverRequired: true }, now);
      await recordEvent(trx, domain.id, { kind: 'rollover_requested', actor: OPERATOR }, now);
    });
    return this.get(mode, name);
  }

  /**
   * Suspends (or resumes) a domain: while suspended, joins and removals are refused with
   * DOM_SUSPENDED and no credentials are issued; leaves still work. Records the change once.
   */
  async suspend(mode: Mode, name: string, suspended: boolean, reason?: string): Promise<DomainDetails> {
    await this.#change(mode, name, async (trx, domain, now) => {
      if (domain.suspended === suspended) return;
      await this.deps.store.updateDomain(trx, domain.id, { suspended }, now);
      const detail = reason === undefined ? undefined : { reason };
      await recordEvent(trx, domain.id, { kind: suspended ? 'suspended' : 'resumed', actor: OPERATOR, detail }, now);
    });
    return this.get(mode, name);
  }

  /** Forgets the removals counted against the domain's removal limit; answers how many. */
  async resetRemovals(mode: Mode, name: string): Promise<{ forgotten: number }> {
    return this.#change(mode, name, async (trx, domain, now) => {
      const forgotten = await resetRemovals(trx, domain.id);
      await recordEvent(trx, domain.id, { kind: 'removals_reset', actor: OPERATOR, detail: { forgotten } }, now);
      return { forgotten };
    });
  }

  /** Runs an operator change of a domain in one transaction, holding its lock. */
  #change<T>(
    mode: Mode,
    name: string,
    work: (trx: Kysely<Database>, domain: DomainRecord, now: number) => Promise<T>,
  ): Promise<T> {
    return transaction(this.deps.storage, async (trx) => {
      const domain = await this.deps.store.lockDomain(trx, mode, name);
      if (!domain) throw new AdminError(404, 'not_found', 'no such domain');
      return work(trx, domain, Date.now());
    });
  }

  /** A domain's events, newest first (docs/domain-server.md, "Events"). */
  async events(mode: Mode, name: string, cursor?: string, limit = PAGE_SIZE): Promise<Page<EventSummary>> {
    const db = this.deps.storage.db;
    const domain = await this.#find(db, mode, name);
    const rows = await listEvents(db, domain.id, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    return {
      items: page.map((event) => ({
        at: new Date(event.at).toISOString(),
        kind: event.kind,
        actor: event.actor,
        subject: event.subject,
        keyVersion: event.keyVersion,
        detail: event.detail,
      })),
      nextCursor: rows.length > limit ? encodeCursor(page.at(-1)?.id ?? 0) : null,
    };
  }

  async #find(db: Kysely<Database>, mode: Mode, name: string): Promise<DomainRecord> {
    const domain = await this.deps.store.findDomain(db, mode, name);
    if (!domain) throw new AdminError(404, 'not_found', 'no such domain');
    return domain;
  }
}

export interface DomainSummary {
  mode: Mode;
  name: string;
  members: number;
  maxMembership: number | null;
  disabled: boolean;
}

export interface DomainDetails {
  mode: Mode;
  name: string;
  serverUrl: string;
  policy: Policy;
  members: number;
  suspended: boolean;
  keyRolloverRequired: boolean;
  keyVersions: { version: number; createdAt: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface EventSummary {
  at: string;
  kind: EventKind;
  actor: Actor;
  subject: string | null;
  keyVersion: number | null;
  detail: Record<string, unknown> | null;
}

export interface MemberSummary {
  guid: string;
  label: string | null;
  machine: { slot: number; components: string[] };
  firstSeen: string;
  lastSeen: string;
}

function details(domain: DomainRecord, serverUrl: string, keyVersions: DomainDetails['keyVersions']): DomainDetails {
  return {
    mode: domain.mode,
    name: domain.name,
    serverUrl,
    policy: policyOf(domain),
    members: domain.memberCount,
    suspended: domain.suspended,
    keyRolloverRequired: domain.keyRolloverRequired,
    keyVersions,
    createdAt: new Date(domain.createdAt).toISOString(),
    updatedAt: new Date(domain.updatedAt).toISOString(),
  };
}

/** Only a name a join can reach: the anonymous grammar, or a name identityDomainName gives. */
function checkName(mode: Mode, name: string): void {
  const valid = mode === 'anonymous' ? ANONYMOUS_DOMAIN_NAME.test(name) : isIdentityDomainName(name);
  if (!valid) {
    throw new AdminError(
      400,
      'invalid_request',
      mode === 'anonymous'
        ? ANONYMOUS_DOMAIN_NAME_RULE
        : `an identity domain name is "<namespace>:<user>", the user's "%" and ":" written %25 and %3A, at most ${MAX_IDENTITY_DOMAIN_NAME} characters`,
    );
  }
}

function policyOf(domain: DomainRecord): Policy {
  const limit = domain.removalLimit;
  return {
    authRequired: domain.authRequired,
    authNamespace: domain.authNamespace,
    maxMembership: domain.maxMembership,
    disabled: domain.disabled,
    removalLimit: limit && { removals: limit.removals, periodSeconds: limit.periodS },
    evictAfterSeconds: domain.evictAfterS,
    keyRetentionSeconds: domain.keyRetentionS,
  };
}

/** The admin API's policy fields as the store's. */
function toPatch(input: PolicyInput): PolicyPatch {
  const { removalLimit, evictAfterSeconds, keyRetentionSeconds, ...same } = input;
  return {
    ...same,
    ...(removalLimit !== undefined && {
      removalLimit: removalLimit && { removals: removalLimit.removals, periodS: removalLimit.periodSeconds },
    }),
    ...(evictAfterSeconds !== undefined && { evictAfterS: evictAfterSeconds }),
    ...(keyRetentionSeconds !== undefined && { keyRetentionS: keyRetentionSeconds }),
  };
}

/** The policy fields `input` sets to a new value, or undefined when it sets none. */
function policyChanges(domain: DomainRecord, input: PolicyInput): Record<string, unknown> | undefined {
  const current = policyOf(domain);
  // One spelling per value: a removal limit's members in one order.
  const spelled = (value: unknown) => {
    const limit = value as Policy['removalLimit'];
    return JSON.stringify(limit?.removals ? { removals: limit.removals, periodSeconds: limit.periodSeconds } : value);
  };
  const changed = Object.entries(input).filter(
    ([field, value]) => value !== undefined && spelled(current[field as keyof Policy]) !== spelled(value),
  );
  return changed.length > 0 ? Object.fromEntries(changed) : undefined;
}

function checkPolicy(input: PolicyInput): void {
  if (input.authNamespace !== undefined && input.authNamespace !== null && input.authNamespace.length === 0) {
    throw new AdminError(400, 'invalid_request', 'authNamespace must be a non-empty string or null');
  }
}

function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id < 0) throw new AdminError(400, 'invalid_request', 'cursor is not valid');
  return id;
}
