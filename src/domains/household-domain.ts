/**
 * A pay-TV household's identity domain as the admin API's household view shows it
 * (docs/entitlement-api.md, "Household view"): the domain household domain tokens join
 * (`{nq}:{household}`, named by identityDomainName), whether it exists, its member count and its
 * first page of members, read through the admin API's own domain and member listing.
 */
import { AdminError } from '../platform/http/admin.js';
import type { DomainAdmin } from './admin.js';
import { identityDomainName } from './policy.js';

export interface HouseholdDomain {
  mode: 'identity';
  name: string;
  exists: boolean;
  memberCount: number;
  members: { guid: string; label: string | null; firstSeen: string; lastSeen: string }[];
  nextCursor: string | null;
}

/** The first page of members the household view shows (the rest: the domain's members listing). */
export const HOUSEHOLD_MEMBER_PAGE = 50;

export async function householdDomain(
  admin: Pick<DomainAdmin, 'get' | 'members'>,
  namespace: string,
  household: string,
): Promise<HouseholdDomain> {
  const name = identityDomainName(namespace, household);
  try {
    const domain = await admin.get('identity', name);
    const page = await admin.members('identity', name, undefined, HOUSEHOLD_MEMBER_PAGE);
    return {
      mode: 'identity',
      name,
      exists: true,
      memberCount: domain.members,
      members: page.items.map(({ guid, label, firstSeen, lastSeen }) => ({ guid, label, firstSeen, lastSeen })),
      nextCursor: page.nextCursor,
    };
  } catch (error) {
    // No such domain (yet, or removed between the two reads): nobody of the household joined.
    if (!(error instanceof AdminError && error.status === 404)) throw error;
    return { mode: 'identity', name, exists: false, memberCount: 0, members: [], nextCursor: null };
  }
}
