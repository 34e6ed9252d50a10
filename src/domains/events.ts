/**
 * Domain events (docs/domain-server.md, "Events"): every membership change of a domain, with who
 * made it and when. Each is one insert in the transaction of the change it records, so a change
 * rolled back leaves no event and a change acknowledged always has one. Read per domain newest
 * first; purged once older than the retention.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/storage/schema.js';

type Db = Kysely<Database>;

/**
 * What changed. `removed` and `evicted` name what an operator, another member or a join into a
 * full domain does to a registration; `suspended`, `resumed` and `removals_reset` are operator
 * actions on the domain; `rollover_requested` is an operator asking for a key rollover,
 * `rolled_over` the join that made the new key version.
 */
export const EVENT_KINDS = [
  'created',
  'policy_changed',
  'joined',
  'moved',
  'left',
  'removed',
  'evicted',
  'suspended',
  'resumed',
  'removals_reset',
  'rollover_requested',
  'rolled_over',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Who made the change: a device (by its machine GUID) or the operator (the admin API). */
export type Actor = { kind: 'device'; guid: string } | { kind: 'operator' };

export interface DomainEvent {
  kind: EventKind;
  actor: Actor;
  /** The registration (machine GUID) the change is about, when it is about one. */
  subject?: string;
  keyVersion?: number;
  detail?: Record<string, unknown>;
}

export interface StoredEvent extends Required<Pick<DomainEvent, 'kind' | 'actor'>> {
  id: number;
  at: number;
  subject: string | null;
  keyVersion: number | null;
  detail: Record<string, unknown> | null;
}

/** Rows a purge deletes per statement, so that no purge holds long locks. */
const PURGE_BATCH = 1000;
/** Statements one purge runs at most; the next purge interval takes the rest. */
const PURGE_BATCHES = 20;

export const device = (guid: string): Actor => ({ kind: 'device', guid });
export const OPERATOR: Actor = { kind: 'operator' };

export async function recordEvent(db: Db, domainId: number, event: DomainEvent, now: number): Promise<void> {
  await db
    .insertInto('domain_events')
    .values({
      domain_id: domainId,
      at: now,
      kind: event.kind,
      actor_kind: event.actor.kind,
      actor_guid: event.actor.kind === 'device' ? event.actor.guid : null,
      subject_guid: event.subject ?? null,
      key_version: event.keyVersion ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    })
    .execute();
}

/** A domain's events, newest first: `limit` of them with ids below `before` (when given). */
export async function listEvents(db: Db, domainId: number, limit: number, before?: number): Promise<StoredEvent[]> {
  let query = db
    .selectFrom('domain_events')
    .selectAll()
    .where('domain_id', '=', domainId)
    .orderBy('id', 'desc')
    .limit(limit);
  if (before !== undefined) query = query.where('id', '<', before);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    at: Number(row.at),
    kind: row.kind as EventKind,
    actor: row.actor_kind === 'device' ? device(row.actor_guid ?? '') : OPERATOR,
    subject: row.subject_guid,
    keyVersion: row.key_version,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  }));
}

/** Deletes events recorded before `before`, in bounded batches; returns how many. */
export async function purgeEvents(db: Db, before: number): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < PURGE_BATCHES; batch++) {
    const result = await db
      .deleteFrom('domain_events')
      .where('id', 'in', (eb) =>
        eb.selectFrom('domain_events').select('id').where('at', '<', before).orderBy('id').limit(PURGE_BATCH),
      )
      .executeTakeFirst();
    const count = Number(result.numDeletedRows);
    deleted += count;
    if (count < PURGE_BATCH) break;
  }
  return deleted;
}
