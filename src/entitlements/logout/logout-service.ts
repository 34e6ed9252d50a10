/**
 * `GET /api/v2/{sp}/logout/{mvpd}` (docs/entitlement-api.md, "Logout"), server side:
 *
 * 1. the app's `redirectUrl` must be an absolute http(s) URL on its application's redirect
 *    domains (else `invalid_parameter_redirect_url`), and the integration active (else
 *    `invalid_integration`);
 * 2. the profile for this client registration, device, service provider and MVPD is found and
 *    **deleted before answering** (an expired one too, which then counts as no profile);
 * 3. the answer for that MVPD:
 *
 *    | case                                               | actionName | actionType    | url |
 *    | -------------------------------------------------- | ---------- | ------------- | --- |
 *    | valid profile, MVPD with a logout endpoint         | logout     | interactive   | {root}/api/v2/logout-flow/{state} |
 *    | valid profile, MVPD without one (or no ID token /  | complete   | none          | –   |
 *    | SAML NameID kept with the profile)                 |            |               |     |
 *    | no valid profile                                   | invalid    | none          | –   |
 *
 * The interactive URL names a sealed, one-time pending-logout record (pending-logout.ts), written
 * by the same statement that deletes the profile: a logout never deletes the profile and then
 * fails to leave the record the MVPD round trip needs.
 */
import { PassError } from '../errors.js';
import type { EntitlementMetrics } from '../metrics.js';
import { activeIntegrationMvpd } from '../operator/active-mvpd.js';
import { isAllowedRedirect } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';
import type { ProfileKey, ProfileStore } from '../profiles/profile-store.js';
import type { UserAgentFlows } from '../user-agent/flow-store.js';
import { beginPendingLogout } from './pending-logout.js';

export interface MvpdLogout {
  mvpd: string;
  actionName: 'logout' | 'complete' | 'invalid';
  actionType: 'interactive' | 'none';
  url?: string;
}

export interface LogoutRequest {
  key: ProfileKey;
  mvpdId: string;
  redirectUrl: string;
  /** The application's redirect domains. */
  redirectDomains: readonly string[];
}

const complete = (mvpd: string): MvpdLogout => ({ mvpd, actionName: 'complete', actionType: 'none' });
const invalid = (mvpd: string): MvpdLogout => ({ mvpd, actionName: 'invalid', actionType: 'none' });

/** Path of the user-agent logout endpoint a `logout`/`interactive` answer points at. */
export const logoutFlowPath = (state: string) => `/api/v2/logout-flow/${state}`;

export class LogoutService {
  constructor(
    private readonly deps: {
      store: OperatorStore;
      profiles: ProfileStore;
      flows: UserAgentFlows;
      publicRoot: () => string;
      metrics: EntitlementMetrics;
    },
  ) {}

  /** The logout, counted by its actionName (metrics.ts). */
  async logout(request: LogoutRequest, now = Date.now()): Promise<MvpdLogout> {
    const answer = await this.#logout(request, now);
    this.deps.metrics.logout(answer);
    return answer;
  }

  async #logout(request: LogoutRequest, now: number): Promise<MvpdLogout> {
    const { key, mvpdId, redirectUrl } = request;
    if (!isAllowedRedirect(redirectUrl, request.redirectDomains)) {
      throw new PassError(
        'invalid_parameter_redirect_url',
        "redirectUrl must be an absolute http(s) URL on one of the application's redirect domains",
      );
    }
    const mvpd = await activeIntegrationMvpd(this.deps.store, key.serviceProviderId, mvpdId);

    const { profiles, flows } = this.deps;
    // Of two concurrent logouts, only the one that took the profile goes on to the MVPD.
    if (!mvpd.hasLogoutEndpoint) {
      const profile = await profiles.take(key, mvpd.id);
      return profile && profile.notAfter > now ? complete(mvpd.id) : invalid(mvpd.id);
    }
    const pending = await beginPendingLogout(
      flows,
      { serviceProviderId: key.serviceProviderId, mvpdId: mvpd.id, redirectUrl },
      now,
    );
    const profile = await profiles.takeForLogout(key, mvpd.id, pending, now);
    if (!profile || profile.notAfter <= now) return invalid(mvpd.id);
    const { idToken, saml } = profile.upstream;
    if (!(mvpd.connection.kind === 'saml' ? saml : idToken)) {
      // Nothing to name at the MVPD's logout (no ID token, or no SAML session): done here.
      await flows.discard('logout', pending.state);
      return complete(mvpd.id);
    }
    return {
      mvpd: mvpd.id,
      actionName: 'logout',
      actionType: 'interactive',
      url: this.deps.publicRoot() + logoutFlowPath(pending.state),
    };
  }
}
