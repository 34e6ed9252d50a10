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
import { releaseRegistration } from './leave.js';
import {
  ANONYMOUS_DOMAIN_NAME,
  ANONYMOUS_DOMAIN_NAME_RULE,
  type DomainDeps,
  isIdentityDomainName,
  MAX_IDENTITY_DOMAIN_NAME,
  serverUrlOf,
} from './policy.js';
import type { DomainRecord, Mode } from './records.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PolicyInput {
  authRequired?: boolean;
  authNamespace?: string | null;
  maxMembership?: number | null;
  disabled?: boolean;
}

export const PAGE_SIZE = 50;

export class DomainAdmin {
  constructor(private readonly deps: DomainDeps) {}

  async list(filter: { mode?: Mode; q?: string; cursor?: string; limit?: number }): Promise<Page<DomainSummary>> {
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
    const keys = await this.deps.store.listKeys(this.deps.storage.db, domain.id);
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
    const created = await transaction(this.deps.storage, async (trx) => {
      const now = Date.now();
      const existing = await this.deps.store.lockDomain(trx, mode, name);
      if (existing) {
        await this.deps.store.updateDomain(trx, existing.id, input, now);
        const detail = policyChanges(existing, input);
        if (detail) await recordEvent(trx, existing.id, { kind: 'policy_changed', actor: OPERATOR, detail }, now);
        return false;
      }
      const defaults = this.deps.defaults[mode];
      const inserted = await this.deps.store.createDomain(
        trx,
        mode,
        name,
        {
          authRequired: input.authRequired ?? defaults.authRequired,
          authNamespace: input.authNamespace ?? null,
          maxMembership: input.maxMembership === undefined ? defaults.maxMembership : input.maxMembership,
          disabled: input.disabled ?? false,
        },
        now,
      );
      const domain = await this.deps.store.findDomain(trx, mode, name);
      if (inserted && domain) await recordEvent(trx, domain.id, { kind: 'created', actor: OPERATOR }, now);
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
      .select(['r.guid', 'r.machine_row', 'm.components', 'r.first_seen', 'r.last_seen'])
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
        machine: { slot: row.machine_row, components: JSON.parse(row.components) as string[] },
        firstSeen: new Date(Number(row.first_seen)).toISOString(),
        lastSeen: new Date(Number(row.last_seen)).toISOString(),
      })),
      nextCursor: rows.length > limit && last ? Buffer.from(last.guid).toString('base64url') : null,
    };
  }

  /** Removes one registration as a committed leave would (freeing the slot sets key rollover). */
  async removeMember(mode: Mode, name: string, guid: string): Promise<{ machineReleased: boolean }> {
    return transaction(this.deps.storage, async (trx) => {
      const domain = await this.deps.store.lockDomain(trx, mode, name);
      if (!domain) throw new AdminError(404, 'not_found', 'no such domain');
      const registration = await this.deps.store.findRegistration(trx, domain.id, guid);
      if (!registration) throw new AdminError(404, 'not_found', 'no such member');
      const now = Date.now();
      const machineReleased = await releaseRegistration(this.deps.store, trx, domain, registration, now);
      const detail = { machineReleased };
      await recordEvent(trx, domain.id, { kind: 'removed', actor: OPERATOR, subject: guid, detail }, now);
      return { machineReleased };
    });
  }

  /** The next join generates a new key version. */
  async rollover(mode: Mode, name: string): Promise<DomainDetails> {
    await transaction(this.deps.storage, async (trx) => {
      const domain = await this.deps.store.lockDomain(trx, mode, name);
      if (!domain) throw new AdminError(404, 'not_found', 'no such domain');
      const now = Date.now();
      await this.deps.store.updateDomain(trx, domain.id, { keyRolloverRequired: true }, now);
      await recordEvent(trx, domain.id, { kind: 'rollover_requested', actor: OPERATOR }, now);
    });
    return this.get(mode, name);
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
  policy: { authRequired: boolean; authNamespace: string | null; maxMembership: number | null; disabled: boolean };
  members: number;
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
  machine: { slot: number; components: string[] };
  firstSeen: string;
  lastSeen: string;
}

function details(domain: DomainRecord, serverUrl: string, keyVersions: DomainDetails['keyVersions']): DomainDetails {
  return {
    mode: domain.mode,
    name: domain.name,
    serverUrl,
    policy: {
      authRequired: domain.authRequired,
      authNamespace: domain.authNamespace,
      maxMembership: domain.maxMembership,
      disabled: domain.disabled,
    },
    members: domain.memberCount,
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

/** The policy fields `input` sets to a new value, or undefined when it sets none. */
function policyChanges(domain: DomainRecord, input: PolicyInput): Record<string, unknown> | undefined {
  const changed = Object.entries(input).filter(
    ([field, value]) => value !== undefined && domain[field as keyof PolicyInput] !== value,
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
