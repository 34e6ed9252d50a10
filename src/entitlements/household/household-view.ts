/**
 * The household view of the admin API (docs/entitlement-api.md, "Household view"): for a pay-TV
 * household id, per MVPD, the household's current profiles beside the members of the identity
 * domain its household domain tokens join. The id is what a support call gives: the MVPD's
 * household id, or its user id when it sends none (household-of.ts). Only MVPDs where the
 * household has a profile or a domain are listed.
 */
import { AdminError } from '../../platform/http/admin.js';
import { hasControlCharacter } from '../../platform/text.js';
import type { Mvpd } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';
import type { HouseholdProfile, ProfileStore } from '../profiles/profile-store.js';

/** The identity domain of a household in an MVPD's namespace (the domain module answers it). */
export interface HouseholdDomainView {
  mode: 'identity';
  name: string;
  exists: boolean;
  memberCount: number;
  members: { guid: string; label: string | null; firstSeen: string; lastSeen: string }[];
  nextCursor: string | null;
}

export type HouseholdDomainLookup = (namespace: string, household: string) => Promise<HouseholdDomainView>;

export interface HouseholdAnswer {
  householdId: string;
  mvpds: {
    mvpd: string;
    displayName: string;
    profiles: { serviceProvider: string; deviceId: string; clientId: string; notBefore: string; notAfter: string }[];
    domain: HouseholdDomainView;
  }[];
}

/** The most profiles shown per MVPD, newest first. */
export const HOUSEHOLD_PROFILE_LIMIT = 100;
/** As long as the household claims profiles keep (profile-builder.ts). */
export const MAX_HOUSEHOLD_ID = 256;

export class HouseholdView {
  constructor(
    private readonly deps: {
      store: Pick<OperatorStore, 'listMvpds' | 'mvpd'>;
      profiles: Pick<ProfileStore, 'listByHousehold'>;
      domainOf: HouseholdDomainLookup;
    },
  ) {}

  async get(householdId: string, mvpdId?: string, now = Date.now()): Promise<HouseholdAnswer> {
    checkHouseholdId(householdId);
    const mvpds = mvpdId === undefined ? await this.deps.store.listMvpds() : [await this.#mvpd(mvpdId)];
    const views = await Promise.all(mvpds.map((mvpd) => this.#atMvpd(mvpd, householdId, now)));
    return {
      householdId,
      mvpds: views.filter((view) => view.profiles.length > 0 || view.domain.exists),
    };
  }

  async #mvpd(id: string): Promise<Mvpd> {
    const mvpd = await this.deps.store.mvpd(id);
    if (!mvpd) throw new AdminError(404, 'not_found', 'no such MVPD');
    return mvpd;
  }

  async #atMvpd(mvpd: Mvpd, household: string, now: number) {
    const [profiles, domain] = await Promise.all([
      this.deps.profiles.listByHousehold(mvpd.id, household, HOUSEHOLD_PROFILE_LIMIT, now),
      this.deps.domainOf(mvpd.authNamespace, household),
    ]);
    return { mvpd: mvpd.id, displayName: mvpd.displayName, profiles: profiles.map(profileView), domain };
  }
}

function profileView(profile: HouseholdProfile) {
  return {
    serviceProvider: profile.serviceProviderId,
    deviceId: profile.deviceId,
    clientId: profile.clientId,
    notBefore: new Date(profile.notBefore).toISOString(),
    notAfter: new Date(profile.notAfter).toISOString(),
  };
}

function checkHouseholdId(id: string): void {
  if (id.length < 1 || id.length > MAX_HOUSEHOLD_ID || hasControlCharacter(id)) {
    throw new AdminError(
      400,
      'invalid_request',
      `householdId must be 1 to ${MAX_HOUSEHOLD_ID} characters without control characters`,
    );
  }
}
