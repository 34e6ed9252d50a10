/**
 * The user-agent side of authentication (docs/entitlement-api.md, "5. Sign the viewer in"): from
 * the authenticate URL of a session to the MVPD's login and back to a stored profile.
 *
 * begin (`GET /api/v2/authenticate/{sp}/{code}[?mvpd=]`):
 * 1. the session of the code must be alive;
 * 2. no MVPD yet: an MVPD chosen in the picker (`mvpd`, one of the service provider's active
 *    MVPDs) is recorded on the session; with none chosen, the picker is shown;
 * 3. with an MVPD (still actively integrated): a login flow record (state, PKCE verifier, nonce,
 *    session code; sealed, user-agent/flow-store.ts) and the MVPD's authorization URL.
 *
 *    A SAML MVPD gets a flow record holding the AuthnRequest's id instead, and a signed
 *    AuthnRequest with RelayState = the flow's state.
 *
 * finish (`GET /api/v2/mvpd-callback/{mvpd}?state&code|error`, OIDC):
 * 1. the flow of `state` is taken (one-time) and must be for this MVPD;
 * 2. the MVPD's answer must carry a code (a refusal, e.g. the user cancelled, ends here);
 * 3. the session must still be alive; the code is exchanged (PKCE, ID token checked with the
 *    nonce) and the profile stored for the session's client, device, service provider and MVPD.
 *
 * finishSaml (`POST /api/v2/saml-acs/{mvpd}`, form `SAMLResponse`, `RelayState`):
 * 1. the flow of `RelayState` must exist and be a SAML flow for this MVPD;
 * 2. the session must still be alive and the MVPD actively integrated;
 * 3. the Response must verify (mvpd/saml/saml-connector.ts) against the flow's request id; only
 *    then is the flow taken (one-time: of two posts of one Response, one goes on), so a forged or
 *    broken post uses nothing up;
 * 4. the profile is stored exactly as for OIDC (profiles/profile-builder.ts), keeping the NameID
 *    and SessionIndex for logout.
 *
 * The flow is not bound to a browser cookie: MVPD logins may come back in another browser (an
 * MVPD app's universal link), and a replayed or planted callback can only complete the login of
 * the session it was started for, on the session's own redirect URL.
 */

import type { EntitlementMetrics } from '../metrics.js';
import { entitlementsFromClaims } from '../mvpd/entitlement-claim.js';
import { MvpdError } from '../mvpd/errors.js';
import { createCodeVerifier, type OidcConnectors, randomToken } from '../mvpd/oidc-connector.js';
import { newSamlRequestId, type SamlConnectors } from '../mvpd/saml/saml-connector.js';
import type { Mvpd, ServiceProvider } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';
import { profileFromLogin, type UpstreamLogin } from '../profiles/profile-builder.js';
import type { Profile, ProfileStore } from '../profiles/profile-store.js';
import type { AuthenticationSession, SessionStore } from '../sessions/session-store.js';
import type { UserAgentFlows } from './flow-store.js';
import { UserAgentError } from './user-agent-error.js';

/** What a login flow record keeps between the authenticate URL and the MVPD callback. */
interface LoginFlowData {
  code: string;
  serviceProviderId: string;
  mvpdId: string;
  /** OIDC: the PKCE verifier and the nonce. */
  codeVerifier?: string;
  nonce?: string;
  /** SAML: the ID of the AuthnRequest (the Response's InResponseTo). */
  samlRequestId?: string;
}

/** The form a SAML IdP posts to the assertion consumer service. */
export interface SamlPost {
  SAMLResponse?: string;
  RelayState?: string;
}

export const LOGIN_FLOW_TTL_MS = 10 * 60_000;

export type PickerMvpd = Pick<Mvpd, 'id' | 'displayName' | 'logoUrl'>;

export type AuthenticateStep =
  | { kind: 'pick'; serviceProvider: ServiceProvider; session: AuthenticationSession; mvpds: readonly PickerMvpd[] }
  | { kind: 'redirect'; url: string };

export interface FinishedLogin {
  session: AuthenticationSession;
  profile: Profile;
  serviceProvider: ServiceProvider;
  mvpd: Pick<Mvpd, 'id' | 'displayName'>;
}

export interface LoginFlowDeps {
  flows: UserAgentFlows;
  sessions: SessionStore;
  profiles: ProfileStore;
  store: OperatorStore;
  connectors: OidcConnectors;
  saml: SamlConnectors;
  metrics: EntitlementMetrics;
}

/** The relative authenticate URL of a session (where "Try again" leads). */
export const authenticatePath = (session: Pick<AuthenticationSession, 'serviceProviderId' | 'code'>) =>
  `/api/v2/authenticate/${encodeURIComponent(session.serviceProviderId)}/${encodeURIComponent(session.code)}`;

const EXPIRED = 'Start the sign-in again from your app to get a new code.';

const cannotComplete = () =>
  new UserAgentError(400, 'This sign-in cannot be completed', `It has expired or was already completed. ${EXPIRED}`);

export class LoginFlows {
  constructor(private readonly deps: LoginFlowDeps) {}

  async begin(
    serviceProviderId: string,
    code: string,
    chosen: string | undefined,
    now = Date.now(),
  ): Promise<AuthenticateStep> {
    const { store, sessions } = this.deps;
    const serviceProvider = await store.serviceProvider(serviceProviderId);
    let session = serviceProvider && (await sessions.find(code, serviceProvider.id, now));
    if (!serviceProvider || !session) {
      throw new UserAgentError(400, 'This sign-in code is not valid', `It is unknown or has expired. ${EXPIRED}`);
    }
    const mvpds = await store.activeMvpds(serviceProvider.id);
    if (chosen !== undefined && chosen !== session.mvpd) {
      if (session.mvpd !== null) {
        throw new UserAgentError(400, 'A provider is already chosen', 'This sign-in is for another TV provider.');
      }
      if (!mvpds.some((mvpd) => mvpd.id === chosen)) {
        throw new UserAgentError(
          400,
          'Unknown TV provider',
          'Choose one of the listed providers.',
          authenticatePath(session),
        );
      }
      session = await sessions.update(session, { mvpd: chosen });
    }
    const mvpdId = session.mvpd;
    if (mvpdId === null) return { kind: 'pick', serviceProvider, session, mvpds };
    const mvpd = mvpds.some((active) => active.id === mvpdId) ? await store.mvpd(mvpdId) : undefined;
    if (!mvpd) {
      throw new UserAgentError(400, 'TV provider not available', `${serviceProvider.displayName} no longer offers it.`);
    }
    return { kind: 'redirect', url: await this.#start(session, mvpd, now) };
  }

  async finish(mvpdId: string, query: URLSearchParams, now = Date.now()): Promise<FinishedLogin> {
    const state = query.get('state');
    const flow = state ? await this.deps.flows.take<LoginFlowData>('login', state, now) : undefined;
    if (!flow || flow.mvpdId !== mvpdId || !flow.codeVerifier || !flow.nonce) throw cannotComplete();
    const { session, serviceProvider, mvpd } = await this.#current(flow, now);
    if (mvpd.connection.kind === 'saml') throw cannotComplete();
    const connector = this.deps.connectors.for(mvpd);
    let login: UpstreamLogin;
    try {
      const authorizationCode = connector.readCallback(query);
      const checked = await connector.exchangeCode(authorizationCode, flow.codeVerifier, flow.nonce);
      login = { ...checked, entitlements: connector.entitlements(checked.claims, mvpd.entitlementClaim) };
    } catch (error) {
      if (error instanceof MvpdError) throw mvpdFailure(error, mvpd.displayName, authenticatePath(session));
      throw error;
    }
    return this.#signedIn(login, { session, serviceProvider, mvpd }, now);
  }

  async finishSaml(mvpdId: string, form: SamlPost, now = Date.now()): Promise<FinishedLogin> {
    const { flows } = this.deps;
    const state = form.RelayState;
    const flow = state ? await flows.peek<LoginFlowData>('login', state, now) : undefined;
    if (!state || !flow || flow.mvpdId !== mvpdId || !flow.samlRequestId) throw cannotComplete();
    const { session, serviceProvider, mvpd } = await this.#current(flow, now);
    if (mvpd.connection.kind !== 'saml') throw cannotComplete();
    const retry = authenticatePath(session);
    if (!form.SAMLResponse) {
      throw mvpdFailure(new MvpdError('invalid_saml_message', 'no SAMLResponse'), mvpd.displayName, retry);
    }
    let login: UpstreamLogin;
    try {
      const checked = await this.deps.saml.for(mvpd).readResponse(form.SAMLResponse, flow.samlRequestId, now);
      login = {
        subject: checked.subject,
        saml: checked.session,
        claims: checked.claims,
        entitlements: entitlementsFromClaims(checked.claims, mvpd.entitlementClaim),
      };
    } catch (error) {
      if (error instanceof MvpdError) throw mvpdFailure(error, mvpd.displayName, retry);
      throw error;
    }
    // The Response verified: now the flow is used up, by exactly one request.
    if (!(await flows.take<LoginFlowData>('login', state, now))) throw cannotComplete();
    return this.#signedIn(login, { session, serviceProvider, mvpd }, now);
  }

  /** The flow's session (still alive), service provider and MVPD (still actively integrated). */
  async #current(flow: LoginFlowData, now: number) {
    const { sessions, store } = this.deps;
    const session = await sessions.find(flow.code, flow.serviceProviderId, now);
    const [serviceProvider, mvpd, integration] = await Promise.all([
      store.serviceProvider(flow.serviceProviderId),
      store.mvpd(flow.mvpdId),
      store.integration(flow.serviceProviderId, flow.mvpdId),
    ]);
    if (!session || !serviceProvider) {
      throw new UserAgentError(400, 'This sign-in took too long', `The code has expired. ${EXPIRED}`);
    }
    if (!mvpd || !integration?.active) {
      throw new UserAgentError(400, 'TV provider not available', `${serviceProvider.displayName} no longer offers it.`);
    }
    return { session, serviceProvider, mvpd };
  }

  /** The upstream login succeeded: the profile, the same for every protocol. */
  async #signedIn(
    login: UpstreamLogin,
    current: { session: AuthenticationSession; serviceProvider: ServiceProvider; mvpd: Mvpd },
    now: number,
  ): Promise<FinishedLogin> {
    const { session, mvpd } = current;
    const profile = await this.deps.profiles.save(profileFromLogin(login, session, mvpd, now));
    this.deps.metrics.signIn(mvpd.id);
    return { ...current, profile };
  }

  async #start(session: AuthenticationSession, mvpd: Mvpd, now: number): Promise<string> {
    const base = { code: session.code, serviceProviderId: session.serviceProviderId, mvpdId: mvpd.id };
    const ttl = Math.min(LOGIN_FLOW_TTL_MS, session.notAfter - now);
    try {
      if (mvpd.connection.kind === 'saml') {
        const requestId = newSamlRequestId();
        const data: LoginFlowData = { ...base, samlRequestId: requestId };
        const state = await this.deps.flows.create('login', data, ttl, now);
        return await this.deps.saml.for(mvpd).authnRequestUrl({ requestId, relayState: state });
      }
      const data = { ...base, codeVerifier: createCodeVerifier(), nonce: randomToken() };
      const state = await this.deps.flows.create('login', data, ttl, now);
      return await this.deps.connectors
        .for(mvpd)
        .authorizationUrl({ state, nonce: data.nonce, codeVerifier: data.codeVerifier });
    } catch (error) {
      if (error instanceof MvpdError) throw mvpdFailure(error, mvpd.displayName, authenticatePath(session));
      throw error;
    }
  }
}

/** The page of an MVPD failure: a refusal by the MVPD or the user is 400, a fault of the MVPD 500. */
function mvpdFailure(error: MvpdError, mvpdName: string, retryUrl: string): UserAgentError {
  const options = { cause: error };
  if (error.failure === 'oauth_error' && error.oauthError === 'access_denied') {
    return new UserAgentError(400, 'Sign-in cancelled', `You did not sign in with ${mvpdName}.`, retryUrl, options);
  }
  if (error.failure === 'oauth_error' || error.failure === 'saml_status') {
    return new UserAgentError(400, 'Sign-in refused', `${mvpdName} did not complete the sign-in.`, retryUrl, options);
  }
  if (error.failure === 'timeout' || error.failure === 'unreachable') {
    return new UserAgentError(500, 'TV provider unreachable', `${mvpdName} did not answer in time.`, retryUrl, options);
  }
  return new UserAgentError(
    500,
    'Sign-in failed',
    `The answer from ${mvpdName} could not be verified.`,
    retryUrl,
    options,
  );
}
