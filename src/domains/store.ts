/**
 * Storage of the domain server: the queries on its domains, machines and registrations, for both
 * dialects. Key versions, former members and seen message ids have files of their own
 * (key-rows.ts, former-members.ts, seen-messages.ts). Callers pass the transaction (or database)
 * to run in; the domain row lock makes join and leave serial per domain.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/storage/database.js';
import type { Database } from '../platform/storage/schema.js';
import {
  type DomainRecord,
  type KeyRecord,
  keyOf,
  type Mode,
  type PolicyPatch,
  type RegistrationRecord,
  type RemovalLimit,
  toDomain,
  toRegistration,
} from './records.js';
import {
  LAST_SEEN_RESOLUTION_MS,
  type RejoinAttempt,
  rejoinAllowed,
  rejoinInOneStatement,
  retainedKeys,
} from './rejoin-query.js';
import { recordMessage } from './seen-messages.js';

type Db = Kysely<Database>;

/** The policy a domain is created with. */
export interface NewDomainPolicy {
  authRequired: boolean;
  authNamespace: string | null;
  maxMembership: number | null;
  disabled: boolean;
  removalLimit?: RemovalLimit | null;
  evictAfterS?: number | null;
  keyRetentionS?: number | null;
}

export class DomainStore {
  constructor(readonly dialect: Dialect) {}

  /** Reads a domain and, inside a PostgreSQL transaction, locks its row until commit. */
  async lockDomain(db: Db, mode: Mode, name: string): Promise<DomainRecord | undefined> {
    let query = db.selectFrom('domains').selectAll().where('mode', '=', mode).where('name', '=', name);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toDomain(row);
  }

  async findDomain(db: Db, mode: Mode, name: string): Promise<DomainRecord | undefined> {
    const row = await db
      .selectFrom('domains')
      .selectAll()
      .where('mode', '=', mode)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toDomain(row);
  }

  /**
   * Inserts a domain with the given policy unless one of that mode and name exists (a concurrent
   * twin's, too); answers whether this insert made it.
   */
  async createDomain(db: Db, mode: Mode, name: string, policy: NewDomainPolicy, now: number): Promise<boolean> {
    const inserted = await db
      .insertInto('domains')
      .values({
        mode,
        name,
        auth_required: flag(policy.authRequired),
        auth_namespace: policy.authNamespace,
        max_membership: policy.maxMembership,
        key_rollover_required: 0,
        disabled: flag(policy.disabled),
        member_count: 0,
        created_at: now,
        updated_at: now,
        suspended: 0,
        removal_limit: policy.removalLimit?.removals ?? null,
        removal_period_s: policy.removalLimit?.periodS ?? null,
        evict_after_s: policy.evictAfterS ?? null,
        key_retention_s: policy.keyRetentionS ?? null,
      })
      .onConflict((oc) => oc.columns(['mode', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async updateDomain(db: Db, id: number, patch: PolicyPatch, now: number): Promise<void> {
    await db
      .updateTable('domains')
      .set({
        ...(patch.authRequired !== undefined && { auth_required: flag(patch.authRequired) }),
        ...(patch.authNamespace !== undefined && { auth_namespace: patch.authNamespace }),
        ...(patch.maxMembership !== undefined && { max_membership: patch.maxMembership }),
        ...(patch.keyRolloverRequired !== undefined && { key_rollover_required: flag(patch.keyRolloverRequired) }),
        ...(patch.disabled !== undefined && { disabled: flag(patch.disabled) }),
        ...(patch.memberCount !== undefined && { member_count: patch.memberCount }),
        ...(patch.suspended !== undefined && { suspended: flag(patch.suspended) }),
        ...(patch.removalLimit !== undefined && {
          removal_limit: patch.removalLimit?.removals ?? null,
          removal_period_s: patch.removalLimit?.periodS ?? null,
        }),
        ...(patch.evictAfterS !== undefined && { evict_after_s: patch.evictAfterS }),
        ...(patch.keyRetentionS !== undefined && { key_retention_s: patch.keyRetentionS }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async findRegistration(db: Db, domainId: number, guid: string): Promise<RegistrationRecord | undefined> {
    const row = await db
      .selectFrom('domain_registrations as r')
      .innerJoin('domain_machines as m', 'm.id', 'r.machine_row')
      .select(['r.guid', 'r.machine_row', 'm.components', 'r.first_seen', 'r.last_seen', 'r.label'])
      .where('r.domain_id', '=', domainId)
      .where('r.guid', '=', guid)
      .executeTakeFirst();
    return row && toRegistration(row);
  }

  /** Every slot of a domain with its machine ID; used in identity mode, where domains are small. */
  async listMachines(db: Db, domainId: number): Promise<{ id: number; components: string[] }[]> {
    const rows = await db
      .selectFrom('domain_machines')
      .select(['id', 'components'])
      .where('domain_id', '=', domainId)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ id: row.id, components: JSON.parse(row.components) as string[] }));
  }

  async addMachine(db: Db, domainId: number, components: string[], now: number): Promise<number> {
    const row = await db
      .insertInto('domain_machines')
      .values({ domain_id: domainId, components: JSON.stringify(components), first_seen: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async addRegistration(
    db: Db,
    domainId: number,
    registration: { guid: string; machineRow: number; label: string | undefined },
    now: number,
  ): Promise<void> {
    const { guid, machineRow, label } = registration;
    await db
      .insertInto('domain_registrations')
      .values({
        domain_id: domainId,
        guid,
        machine_row: machineRow,
        first_seen: now,
        last_seen: now,
        label: label ?? null,
      })
      .execute();
  }

  /** Puts a registration on another machine of its domain (identity mode: its GUID moved), seen now. */
  async moveRegistration(db: Db, domainId: number, guid: string, machineRow: number, now: number): Promise<void> {
    await db
      .updateTable('domain_registrations')
      .set({ machine_row: machineRow, last_seen: now })
      .where('domain_id', '=', domainId)
      .where('guid', '=', guid)
      .execute();
  }

  /**
   * A domain, the registration of `guid` in it (when there is one) and every key version it still
   * delivers at `now` (retainedKeys), in one round trip: the rows of the domain's keys, each
   * carrying the domain and registration columns.
   */
  async findForRejoin(
    db: Db,
    mode: Mode,
    name: string,
    guid: string,
    now = Date.now(),
  ): Promise<{ domain: DomainRecord; registration: RegistrationRecord | undefined; keys: KeyRecord[] } | undefined> {
    const rows = await db
      .selectFrom('domains as d')
      .leftJoin('domain_registrations as r', (join) => join.onRef('r.domain_id', '=', 'd.id').on('r.guid', '=', guid))
      .leftJoin('domain_machines as m', 'm.id', 'r.machine_row')
      .leftJoin('domain_keys as k', 'k.domain_id', 'd.id')
      .selectAll('d')
      .select(['r.guid', 'r.machine_row', 'm.components', 'r.first_seen', 'r.last_seen', 'r.label'])
      .select([
        'k.version',
        'k.public_key',
        'k.sealed_private',
        'k.certificate',
        'k.certificate_not_before',
        'k.created_at as key_created_at',
      ])
      .where('d.mode', '=', mode)
      .where('d.name', '=', name)
      .orderBy('k.version')
      .execute();
    const first = rows[0];
    if (!first) return undefined;
    const { guid: found, machine_row, components, first_seen, last_seen, label } = first;
    const registration =
      found !== null && machine_row !== null && components !== null && first_seen !== null && last_seen !== null
        ? toRegistration({ guid: found, machine_row, components, first_seen, last_seen, label })
        : undefined;
    const domain = toDomain(first);
    return { domain, registration, keys: retainedKeys(rows.flatMap(keyOf), domain.keyRetentionS, now) };
  }

  /**
   * The lock-free re-join (join.ts): when `guid` is already a member and the domain needs nothing
   * that takes its lock (see rejoinAllowed), records the message id and the member's last-seen
   * time and answers the domain and its keys; otherwise changes nothing and answers undefined. A
   * message id seen before within the window: REQ_REPLAYED. SQLite reads, decides and writes in
   * process; PostgreSQL decides in one statement, so a re-join is one round trip.
   */
  async rejoinWithoutLock(
    db: Db,
    attempt: RejoinAttempt,
  ): Promise<{ domain: DomainRecord; keys: KeyRecord[] } | undefined> {
    if (this.dialect === 'postgres') return rejoinInOneStatement(db, attempt);
    const found = await this.findForRejoin(db, attempt.mode, attempt.name, attempt.guid, attempt.now);
    if (!found?.registration || !rejoinAllowed(found, attempt)) return undefined;
    await recordMessage(db, attempt.guid, attempt.mid, attempt.now, attempt.since);
    await this.touch(db, found.domain.id, found.registration, attempt.now);
    return { domain: found.domain, keys: found.keys };
  }

  /**
   * Records that a registration was seen now, and the label it gave when it gave a new one;
   * writes nothing when it was seen within LAST_SEEN_RESOLUTION_MS and the label is unchanged.
   */
  async touch(
    db: Db,
    domainId: number,
    registration: Pick<RegistrationRecord, 'guid' | 'lastSeen' | 'label'>,
    now: number,
    label?: string,
  ): Promise<void> {
    const relabel = label !== undefined && label !== registration.label;
    if (!relabel && registration.lastSeen > now - LAST_SEEN_RESOLUTION_MS) return;
    await db
      .updateTable('domain_registrations')
      .set({ last_seen: now, ...(relabel && { label }) })
      .where('domain_id', '=', domainId)
      .where('guid', '=', registration.guid)
      .execute();
  }

  async deleteRegistration(db: Db, domainId: number, guid: string): Promise<void> {
    await db.deleteFrom('domain_registrations').where('domain_id', '=', domainId).where('guid', '=', guid).execute();
  }

  async countRegistrationsOnMachine(db: Db, machineRow: number): Promise<number> {
    const row = await db
      .selectFrom('domain_registrations')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('machine_row', '=', machineRow)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteMachine(db: Db, machineRow: number): Promise<void> {
    await db.deleteFrom('domain_machines').where('id', '=', machineRow).execute();
  }

  /** GUIDs registered on a slot (identity mode: the apps of one physical machine). */
  async registrationsOnMachine(db: Db, machineRow: number): Promise<string[]> {
    const rows = await db
      .selectFrom('domain_registrations')
      .select('guid')
      .where('machine_row', '=', machineRow)
      .orderBy('guid')
      .execute();
    return rows.map((row) => row.guid);
  }

  /**
   * Deletes a slot and every registration on it, frees the slot and sets key rollover, as leaves
   * of all of them would; answers the GUIDs it removed. `domain.memberCount` must be current.
   */
  async releaseMachine(db: Db, domain: DomainRecord, machineRow: number, now: number): Promise<string[]> {
    const guids = await this.registrationsOnMachine(db, machineRow);
    await db.deleteFrom('domain_registrations').where('machine_row', '=', machineRow).execute();
    await this.deleteMachine(db, machineRow);
    await this.updateDomain(db, domain.id, { memberCount: domain.memberCount - 1, keyRolloverRequired: true }, now);
    return guids;
  }

  /**
   * The member slot seen longest ago, when it was last seen before `before` (a slot's last-seen
   * time is the latest of its registrations'), other than `except`.
   */
  async stalestMachine(
    db: Db,
    domain: DomainRecord,
    before: number,
    except: number | undefined,
  ): Promise<{ machineRow: number; lastSeen: number } | undefined> {
    if (domain.mode === 'anonymous') {
      // One registration per slot: the (domain_id, last_seen) index finds it without a scan.
      let query = db
        .selectFrom('domain_registrations')
        .select(['machine_row', 'last_seen'])
        .where('domain_id', '=', domain.id)
        .where('last_seen', '<', before)
        .orderBy('last_seen')
        .orderBy('guid')
        .limit(1);
      if (except !== undefined) query = query.where('machine_row', '!=', except);
      const row = await query.executeTakeFirst();
      return row && { machineRow: row.machine_row, lastSeen: Number(row.last_seen) };
    }
    let query = db
      .selectFrom('domain_registrations')
      .select(['machine_row', (eb) => eb.fn.max('last_seen').as('seen')])
      .where('domain_id', '=', domain.id)
      .groupBy('machine_row')
      .having((eb) => eb.fn.max('last_seen'), '<', before)
      .orderBy('seen')
      .orderBy('machine_row')
      .limit(1);
    if (except !== undefined) query = query.where('machine_row', '!=', except);
    const row = await query.executeTakeFirst();
    return row && { machineRow: row.machine_row, lastSeen: Number(row.seen) };
  }

  /** A page of a domain's registrations in GUID order, after `after` (docs/domain-protocol.md §14). */
  async listRegistrations(
    db: Db,
    domainId: number,
    after: string | undefined,
    limit: number,
  ): Promise<{ guid: string; machineRow: number; label: string | null; firstSeen: number; lastSeen: number }[]> {
    let query = db
      .selectFrom('domain_registrations')
      .select(['guid', 'machine_row', 'label', 'first_seen', 'last_seen'])
      .where('domain_id', '=', domainId)
      .orderBy('guid')
      .limit(limit);
    if (after !== undefined) query = query.where('guid', '>', after);
    const rows = await query.execute();
    return rows.map((row) => ({
      guid: row.guid,
      machineRow: row.machine_row,
      label: row.label,
      firstSeen: Number(row.first_seen),
      lastSeen: Number(row.last_seen),
    }));
  }
}

const flag = (value: boolean) => (value ? 1 : 0);
