/**
 * The household of a profile (docs/entitlement-api.md, "Household domain token"): the MVPD's
 * household id, or its user (the subject) when it gives none. One definition for the domain
 * tokens, which name it, and the profiles' `household` column, which the household view
 * (docs/entitlement-api.md, "Household view") looks up: the two must never disagree.
 */
import type { UpstreamSession } from '../profiles/profile-store.js';

export function householdOf(upstream: Pick<UpstreamSession, 'householdId' | 'subject'>): string {
  return upstream.householdId || upstream.subject;
}
