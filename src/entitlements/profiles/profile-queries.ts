/**
 * What the profile endpoints answer (docs/entitlement-api.md, "5. Sign the viewer in"): the
 * unexpired profiles of a client registration, device and service provider, whose MVPD still has an
 * active integration with the service provider. No profile is not an error: the map is empty.
 *
 * - all: every such profile;
 * - one MVPD: the MVPD must exist (`invalid_parameter_mvpd`) and be actively integrated
 *   (`invalid_integration`);
 * - by code (polling after a login started elsewhere; no device headers): the profile the
 *   session's login produced, for the client registration that created the session. While the
 *   session is alive and no login finished, the map is empty; a code with neither a live session
 *   of this client nor a profile is `invalid_authentication_session`, so pollers know to stop.
 */
import { PassError } from '../errors.js';
import type { OperatorStore } from '../operator/store.js';
import type { SessionParameterChecks } from '../sessions/session-parameters.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { Profile, ProfileKey, ProfileStore } from './profile-store.js';

export class ProfileQueries {
  constructor(
    private readonly deps: {
      profiles: Pick<ProfileStore, 'list' | 'find' | 'findByCode'>;
      sessions: Pick<SessionStore, 'find'>;
      store: Pick<OperatorStore, 'activeMvpds'>;
      checks: Pick<SessionParameterChecks, 'checkMvpd'>;
    },
  ) {}

  async all(key: ProfileKey, now = Date.now()): Promise<Profile[]> {
    const [profiles, active] = await Promise.all([
      this.deps.profiles.list(key, now),
      this.deps.store.activeMvpds(key.serviceProviderId),
    ]);
    const activeIds = new Set(active.map((mvpd) => mvpd.id));
    return profiles.filter((profile) => activeIds.has(profile.mvpdId));
  }

  async forMvpd(key: ProfileKey, mvpdId: string, now = Date.now()): Promise<Profile[]> {
    await this.deps.checks.checkMvpd(key.serviceProviderId, mvpdId);
    const profile = await this.deps.profiles.find(key, mvpdId);
    return profile && profile.notAfter > now ? [profile] : [];
  }

  async byCode(
    code: string,
    owner: Pick<ProfileKey, 'clientId' | 'serviceProviderId'>,
    now = Date.now(),
  ): Promise<Profile[]> {
    const profile = await this.deps.profiles.findByCode(code, owner, now);
    if (profile) {
      const active = await this.deps.store.activeMvpds(owner.serviceProviderId);
      return active.some((mvpd) => mvpd.id === profile.mvpdId) ? [profile] : [];
    }
    const session = await this.deps.sessions.find(code, owner.serviceProviderId, now);
    if (session?.clientId !== owner.clientId) {
      throw new PassError('invalid_authentication_session', 'unknown or expired code');
    }
    return [];
  }
}
