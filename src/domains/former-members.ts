/**
 * Former members (docs/domain-server.md, "Household devices"): GUIDs removed or evicted from a
 * domain, remembered so that their next call is DOM_NOT_MEMBER, until they join again or the
 * event retention forgets them.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/storage/schema.js';

type Db = Kysely<Database>;

/** Marks GUIDs removed or evicted from a domain, so that their next call is DOM_NOT_MEMBER. */
export async function markFormerMembers(
  db: Db,
  domainId: number,
  guids: string[],
  reason: 'removed' | 'evicted',
  now: number,
): Promise<void> {
  if (guids.length === 0) return;
  await db
    .insertInto('domain_former_members')
    .values(guids.map((guid) => ({ domain_id: domainId, guid, at: now, reason })))
    .onConflict((oc) => oc.columns(['domain_id', 'guid']).doUpdateSet({ at: now, reason }))
    .execute();
}

/** Why a GUID is no longer a member of a domain, when it was removed or evicted. */
export async function formerMember(db: Db, domainId: number, guid: string): Promise<'removed' | 'evicted' | undefined> {
  const row = await db
    .selectFrom('domain_former_members')
    .select('reason')
    .where('domain_id', '=', domainId)
    .where('guid', '=', guid)
    .executeTakeFirst();
  return row?.reason;
}

/** A former member joined again: it is a member like any other. */
export async function forgetFormerMember(db: Db, domainId: number, guid: string): Promise<void> {
  await db.deleteFrom('domain_former_members').where('domain_id', '=', domainId).where('guid', '=', guid).execute();
}

export async function purgeFormerMembers(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('domain_former_members').where('at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
