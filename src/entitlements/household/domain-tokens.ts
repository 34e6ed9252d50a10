/**
 * Household domain tokens (docs/entitlement-api.md, "Household domain token"): for a device with a
 * valid profile, an auth token for the DRM domain server (docs/domain-protocol.md §6) naming the
 * profile's household — its household id, or its user id when the MVPD gives none — in the MVPD's
 * authentication namespace. Every device of one pay-TV household thus joins the identity domain
 * `{nq}:{household}` (the household's "%" and ":" escaped, docs/domain-server.md "Domain names").
 */
import { activeIntegrationMvpd } from '../operator/active-mvpd.js';
import type { OperatorStore } from '../operator/store.js';
import { currentProfile } from '../profiles/current-profile.js';
import type { ProfileKey, ProfileStore } from '../profiles/profile-store.js';
import type { HouseholdTokens } from '../tokens/household-tokens.js';
import { householdOf } from './household-of.js';

/** Lifetime of a domain token, seconds (never past the profile's end): long enough for one join. */
export const DOMAIN_TOKEN_TTL_S = 3600;

export class DomainTokenService {
  constructor(private readonly deps: { store: OperatorStore; profiles: ProfileStore; tokens: HouseholdTokens }) {}

  async issue(key: ProfileKey, mvpdId: string, now = Date.now()): Promise<{ token: string; notAfter: number }> {
    const mvpd = await activeIntegrationMvpd(this.deps.store, key.serviceProviderId, mvpdId);
    const profile = await currentProfile(this.deps.profiles, key, mvpd.id, now);
    return this.deps.tokens.issue(householdOf(profile.upstream), mvpd.authNamespace, profile.notAfter);
  }
}
