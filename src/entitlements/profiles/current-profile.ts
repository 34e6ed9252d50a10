/**
 * The profile a request about one MVPD stands on (docs/entitlement-api.md, "Decisions"): decisions
 * and household tokens need one that has not expired, and answer a top-level 403 otherwise —
 * `authenticated_profile_missing` when there is none for this client registration, device, service
 * provider and MVPD, `authenticated_profile_expired` when its `notAfter` has passed.
 */
import { PassError } from '../errors.js';
import type { Profile, ProfileKey, ProfileStore } from './profile-store.js';

export async function currentProfile(
  profiles: ProfileStore,
  key: ProfileKey,
  mvpdId: string,
  now = Date.now(),
): Promise<Profile> {
  const profile = await profiles.find(key, mvpdId);
  if (!profile) throw new PassError('authenticated_profile_missing', `no profile for ${mvpdId} on this device`);
  if (profile.notAfter <= now) {
    throw new PassError('authenticated_profile_expired', `the profile for ${mvpdId} has expired; sign in again`);
  }
  return profile;
}
