/**
 * The user-agent half of a logout (pass-api.md §5 step 5), for OIDC MVPDs (RP-initiated logout):
 *
 *   GET {root}/api/v2/logout-flow/{state}
 *     takes the `start` record → a new `mvpd` record → 302 to the MVPD's end_session_endpoint
 *     (id_token_hint, state, post_logout_redirect_uri = {root}/api/v2/mvpd-logout-callback/{mvpd})
 *   GET {root}/api/v2/mvpd-logout-callback/{mvpd}?state=…
 *     takes the `mvpd` record (one-time; it must name this MVPD) → 302 to the app's redirectUrl
 *
 * Each step answers where to send the user agent; an unknown, used or expired state throws a
 * UserAgentError (an HTML page, never a redirect). The profile is already gone when these run,
 * so when the MVPD cannot be reached (or no longer offers logout) the user agent goes straight
 * back to the app rather than being stranded there; the failure is logged.
 */
import type { Logger } from '../../platform/logger.js';
import type { OidcConnectors } from '../mvpd/oidc-connector.js';
import type { OperatorStore } from '../operator/store.js';
import type { UserAgentFlows } from '../user-agent/flow-store.js';
import { UserAgentError } from '../user-agent/user-agent-error.js';
import { createPendingLogout, takePendingLogout } from './pending-logout.js';

const unknownLink = () =>
  new UserAgentError(
    400,
    'This sign-out link is not valid',
    'It is unknown, was already used or has expired. You are signed out of the app; sign out again from the app if needed.',
  );

export class LogoutFlow {
  constructor(
    private readonly deps: {
      store: OperatorStore;
      flows: UserAgentFlows;
      connectors: OidcConnectors;
      logger: Logger;
    },
  ) {}

  /** The app opened the URL of a `logout`/`interactive` answer; answers where to send the user agent. */
  async open(state: string): Promise<string> {
    const pending = await takePendingLogout(this.deps.flows, state, 'start');
    if (!pending) throw unknownLink();
    const mvpd = await this.deps.store.mvpd(pending.mvpdId);
    if (!mvpd) return pending.redirectUrl;
    const next = await createPendingLogout(this.deps.flows, { ...pending, stage: 'mvpd' });
    try {
      const url = await this.deps.connectors.for(mvpd).logoutUrl({ idTokenHint: pending.idToken, state: next });
      if (url) return url;
      this.deps.logger.warn({ mvpd: mvpd.id }, 'MVPD offers no end_session_endpoint; logout ends at Domus');
    } catch (error) {
      this.deps.logger.warn({ err: error, mvpd: mvpd.id }, 'MVPD logout unavailable; logout ends at Domus');
    }
    await this.deps.flows.take('logout', next);
    return pending.redirectUrl;
  }

  /** The MVPD sent the user agent back to its post-logout redirect URI; answers the app's redirectUrl. */
  async finish(mvpdId: string, state: string | undefined): Promise<string> {
    const pending = state ? await takePendingLogout(this.deps.flows, state, 'mvpd') : undefined;
    if (!pending || pending.mvpdId !== mvpdId) throw unknownLink();
    return pending.redirectUrl;
  }
}
