/**
 * The removal limit of a domain (docs/domain-server.md, "Household devices"): at most N removals
 * of other members per period, so that a household cannot pass a slot around. Each removal by a
 * member is one row of domain_removals, written in the removal's transaction under the domain's
 * lock; rows older than the period are dropped as new ones come. A device leaving by itself and
 * an operator's removal are not counted; the operator can reset the count.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/storage/schema.js';
import { DomainError } from './errors.js';
import type { DomainRecord } from './records.js';

type Db = Kysely<Database>;

/** DOM_REMOVAL_LIMITED, with the time of the next allowed removal, when the limit is used up. */
export async function checkRemovalLimit(db: Db, domain: DomainRecord, now: number): Promise<void> {
  const limit = domain.removalLimit;
  if (!limit) return;
  const periodMs = limit.periodS * 1000;
  const recent = await db
    .selectFrom('domain_removals')
    .select('at')
    .where('domain_id', '=', domain.id)
    .where('at', '>', now - periodMs)
    .orderBy('at', 'desc')
    .limit(limit.removals)
    .execute();
  const oldest = recent[limit.removals - 1];
  if (!oldest) return;
  // The window frees a removal when the oldest of the last N leaves it.
  const next = Number(oldest.at) + periodMs;
  const nextRemovalAt = new Date(next).toISOString();
  throw new DomainError(
    'DOM_REMOVAL_LIMITED',
    `this domain allows ${limit.removals} removal(s) per ${limit.periodS} s; the next is allowed at ${nextRemovalAt}`,
    Math.max(1, Math.ceil((next - now) / 1000)),
    { nextRemovalAt },
  );
}

/** Counts a removal by a member; only while the domain has a limit, which is all it is kept for. */
export async function recordRemoval(db: Db, domain: DomainRecord, now: number): Promise<void> {
  const limit = domain.removalLimit;
  if (!limit) return;
  await db.insertInto('domain_removals').values({ domain_id: domain.id, at: now }).execute();
  await db
    .deleteFrom('domain_removals')
    .where('domain_id', '=', domain.id)
    .where('at', '<=', now - limit.periodS * 1000)
    .execute();
}

/** The operator's reset: the removals counted so far are forgotten; answers how many there were. */
export async function resetRemovals(db: Db, domainId: number): Promise<number> {
  const result = await db.deleteFrom('domain_removals').where('domain_id', '=', domainId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
