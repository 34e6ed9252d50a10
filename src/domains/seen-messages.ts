/**
 * Replay protection (docs/domain-protocol.md §4.4): the message ids each
 * machine has sent within the replay window, recorded in the transaction of the request.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/storage/schema.js';
import { DomainError } from './errors.js';

type Db = Kysely<Database>;

export async function hasSeenMessage(db: Db, guid: string, mid: string, since: number): Promise<boolean> {
  const row = await db
    .selectFrom('seen_messages')
    .select('seen_at')
    .where('guid', '=', guid)
    .where('mid', '=', mid)
    .where('seen_at', '>=', since)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Records a message id in one statement: a new id is inserted, an id older than the replay
 * window is renewed, anything else (including a concurrent twin) is REQ_REPLAYED.
 */
export async function recordMessage(db: Db, guid: string, mid: string, now: number, since: number): Promise<void> {
  const recorded = await db
    .insertInto('seen_messages')
    .values({ guid, mid, seen_at: now })
    .onConflict((oc) =>
      oc.columns(['guid', 'mid']).doUpdateSet({ seen_at: now }).where('seen_messages.seen_at', '<', since),
    )
    .returning('guid')
    .executeTakeFirst();
  if (!recorded) throw new DomainError('REQ_REPLAYED', 'message id was seen before');
}

export async function purgeMessages(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('seen_messages').where('seen_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
