/**
 * The user-agent half of a logout (docs/entitlement-api.md, "Logout"):
 *
 * OIDC MVPDs (RP-initiated logout):
 *   GET {root}/api/v2/logout-flow/{state}
 *     takes the `start` record → a new `mvpd` record → 302 to the MVPD's end_session_endpoint
 *     (id_token_hint, state, post_logout_redirect_uri = {root}/api/v2/mvpd-logout-callback/{mvpd})
 *   GET {root}/api/v2/mvpd-logout-callback/{mvpd}?state=…
 *     takes the `mvpd` record (one-time; it must name this MVPD) → 302 to the app's redirectUrl
 *
 * SAML MVPDs (Single Logout, HTTP-Redirect binding both ways):
 *   GET {root}/api/v2/logout-flow/{state}
 *     takes the `start` record → a new `mvpd` record holding the LogoutRequest's ID → 302 to the
 *     IdP's SLO URL with a signed LogoutRequest (NameID, SessionIndex, Reason `…:logout:user`)
 *     and RelayState = the new record's state
 *   GET {root}/api/v2/saml-slo/{mvpd}?SAMLResponse&RelayState&SigAlg&Signature
 *     the `mvpd` record of RelayState must name this MVPD; the LogoutResponse must be signed by
 *     the IdP, answer that LogoutRequest and say Success; only then is the record taken
 *     (one-time) → 302 to the app's redirectUrl. A forged answer uses nothing up.
 *   GET {root}/api/v2/saml-slo/{mvpd}?SAMLRequest&RelayState?&SigAlg&Signature
 *     an IdP-initiated logout: a signed LogoutRequest from the IdP → 302 to the IdP's SLO URL
 *     with a signed LogoutResponse (Success). Nothing is deleted: profiles are the app's.
 *
 * Each step answers where to send the user agent; an unknown, used or expired state throws a
 * UserAgentError (an HTML page, never a redirect). The profile is already gone when these run,
 * so when the MVPD cannot be reached (or no longer offers logout) the user agent goes straight
 * back to the app rather than being stranded there; the failure is logged.
 */
import type { Logger } from '../../platform/logger.js';
import { MvpdError } from '../mvpd/errors.js';
import type { OidcConnectors } from '../mvpd/oidc-connector.js';
import { newSamlRequestId, type SamlConnectors } from '../mvpd/saml/saml-connector.js';
import type { Mvpd } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { UserAgentFlows } from '../user-agent/flow-store.js';
import { UserAgentError } from '../user-agent/user-agent-error.js';
import {
  createPendingLogout,
  type PendingLogout,
  peekPendingLogout,
  takePendingLogout,
  takeStartedLogout,
} from './pending-logout.js';

const SIGNED_OUT = 'You are signed out of the app; sign out again from the app if needed.';

const unknownLink = () =>
  new UserAgentError(
    400,
    'This sign-out link is not valid',
    `It is unknown, was already used or has expired. ${SIGNED_OUT}`,
  );

export class LogoutFlow {
  constructor(
    private readonly deps: {
      store: OperatorStore;
      flows: UserAgentFlows;
      profiles: ProfileStore;
      connectors: OidcConnectors;
      saml: SamlConnectors;
      logger: Logger;
    },
  ) {}

  /** The app opened the URL of a `logout`/`interactive` answer; answers where to send the user agent. */
  async open(state: string): Promise<string> {
    const pending = await takeStartedLogout(this.deps.flows, this.deps.profiles, state);
    if (!pending) throw unknownLink();
    const mvpd = await this.deps.store.mvpd(pending.mvpdId);
    if (!mvpd) return pending.redirectUrl;
    const samlRequestId = mvpd.connection.kind === 'saml' ? newSamlRequestId() : undefined;
    const next = await createPendingLogout(this.deps.flows, {
      ...pending,
      stage: 'mvpd',
      ...(samlRequestId && { samlRequestId }),
    });
    try {
      const url = await this.#mvpdLogoutUrl(mvpd, pending, next, samlRequestId);
      if (url) return url;
      this.deps.logger.warn({ mvpd: mvpd.id }, 'MVPD offers no logout endpoint; logout ends at Domus');
    } catch (error) {
      this.deps.logger.warn({ err: error, mvpd: mvpd.id }, 'MVPD logout unavailable; logout ends at Domus');
    }
    await this.deps.flows.take('logout', next);
    return pending.redirectUrl;
  }

  /** An OIDC MVPD sent the user agent back to its post-logout redirect URI; answers the app's redirectUrl. */
  async finish(mvpdId: string, state: string | undefined): Promise<string> {
    const pending = state ? await takePendingLogout(this.deps.flows, state, 'mvpd') : undefined;
    if (!pending || pending.mvpdId !== mvpdId || pending.samlRequestId) throw unknownLink();
    return pending.redirectUrl;
  }

  /**
   * A SAML IdP sent the user agent back with its LogoutResponse (`rawQuery`: the query string as
   * received, which the signature covers); answers the app's redirectUrl.
   */
  async finishSaml(mvpdId: string, rawQuery: string): Promise<string> {
    const relayState = new URLSearchParams(rawQuery).getAll('RelayState');
    const state = relayState.length === 1 ? relayState[0] : undefined;
    const pending = state ? await peekPendingLogout(this.deps.flows, state, 'mvpd') : undefined;
    if (!state || !pending || pending.mvpdId !== mvpdId || !pending.samlRequestId) throw unknownLink();
    const mvpd = await this.deps.store.mvpd(mvpdId);
    if (mvpd?.connection.kind !== 'saml') throw unknownLink();
    try {
      await this.deps.saml.for(mvpd).readLogoutResponse(rawQuery, pending.samlRequestId);
    } catch (error) {
      if (!(error instanceof MvpdError)) throw error;
      const options = { cause: error };
      if (error.failure === 'saml_status') {
        throw new UserAgentError(
          400,
          'Sign-out not confirmed',
          `${mvpd.displayName} did not confirm the sign-out. ${SIGNED_OUT}`,
          undefined,
          options,
        );
      }
      throw new UserAgentError(
        500,
        'Sign-out failed',
        `The answer from ${mvpd.displayName} could not be verified. ${SIGNED_OUT}`,
        undefined,
        options,
      );
    }
    if (!(await takePendingLogout(this.deps.flows, state, 'mvpd'))) throw unknownLink();
    return pending.redirectUrl;
  }

  /**
   * A SAML IdP sent the user agent with a LogoutRequest of its own (IdP-initiated logout);
   * answers where to send it: the IdP's SLO service with a signed LogoutResponse.
   */
  async answerSaml(mvpdId: string, rawQuery: string): Promise<string> {
    const mvpd = await this.deps.store.mvpd(mvpdId);
    if (mvpd?.connection.kind !== 'saml' || !mvpd.hasLogoutEndpoint) throw unknownLink();
    try {
      return await this.deps.saml.for(mvpd).answerLogoutRequest(rawQuery);
    } catch (error) {
      if (!(error instanceof MvpdError)) throw error;
      throw new UserAgentError(
        400,
        'This sign-out request is not valid',
        `The request from ${mvpd.displayName} could not be verified.`,
        undefined,
        { cause: error },
      );
    }
  }

  /** The MVPD's logout URL for the pending logout, or undefined when it offers none. */
  async #mvpdLogoutUrl(
    mvpd: Mvpd,
    pending: PendingLogout,
    state: string,
    samlRequestId: string | undefined,
  ): Promise<string | undefined> {
    if (mvpd.connection.kind === 'saml') {
      if (!mvpd.hasLogoutEndpoint || !pending.saml || !samlRequestId) return undefined;
      return this.deps.saml
        .for(mvpd)
        .logoutRequestUrl({ requestId: samlRequestId, relayState: state, session: pending.saml });
    }
    if (!pending.idToken) return undefined;
    return this.deps.connectors.for(mvpd).logoutUrl({ idTokenHint: pending.idToken, state });
  }
}
