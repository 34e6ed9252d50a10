/**
 * The pending-logout record (docs/entitlement-api.md, "Logout"): what the user-agent round trip
 * through the MVPD's logout needs, kept server side in a user-agent flow of kind `logout` and never
 * put in a URL. One logout uses two one-time records: `start`, named by the URL the app opens, and
 * `mvpd`, named by the `state` (OIDC) or `RelayState` (SAML) sent to the MVPD and taken back at its
 * callback.
 *
 * The `start` record is written by the statement that deletes the profile and takes over the
 * profile's sealed upstream session as it is (ProfileStore.takeForLogout); its ID token or SAML
 * session is read from there when the app opens the URL.
 */
import type { SamlSession } from '../mvpd/saml/saml-session.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import type { UserAgentFlows } from '../user-agent/flow-store.js';

export interface PendingLogout {
  stage: 'start' | 'mvpd';
  serviceProviderId: string;
  mvpdId: string;
  /** OIDC: the deleted profile's ID token, for `id_token_hint`. */
  idToken?: string;
  /** SAML: the deleted profile's NameID and SessionIndex, for the LogoutRequest. */
  saml?: SamlSession;
  /** SAML, stage `mvpd`: the LogoutRequest's ID (the LogoutResponse's InResponseTo). */
  samlRequestId?: string;
  /** The app's redirectUrl, checked against its redirect domains when the logout began. */
  redirectUrl: string;
}

/** How long the app has to open the logout URL, and the user to come back from the MVPD. */
export const PENDING_LOGOUT_TTL_MS = 10 * 60 * 1000;

export const createPendingLogout = (flows: UserAgentFlows, pending: PendingLogout) =>
  flows.create('logout', pending, PENDING_LOGOUT_TTL_MS);

/** A `start` record sealed for ProfileStore.takeForLogout to store. */
export const beginPendingLogout = (flows: UserAgentFlows, pending: Omit<PendingLogout, 'stage'>, now: number) =>
  flows.begin('logout', { ...pending, stage: 'start' }, PENDING_LOGOUT_TTL_MS, now);

/** Takes the `start` record of `state` (one-time) with the upstream session its profile handed over. */
export async function takeStartedLogout(
  flows: UserAgentFlows,
  profiles: ProfileStore,
  state: string,
): Promise<PendingLogout | undefined> {
  const taken = await flows.takeWithHandover<PendingLogout>('logout', state);
  if (taken?.data.stage !== 'start') return undefined;
  if (!taken.handover) return taken.data;
  const { idToken, saml } = profiles.openHandover(taken.handover);
  return { ...taken.data, ...(idToken && { idToken }), ...(saml && { saml }) };
}

/** Takes the record of `state` at `stage` (one-time); undefined when unknown, expired or of another stage. */
export async function takePendingLogout(
  flows: UserAgentFlows,
  state: string,
  stage: PendingLogout['stage'],
): Promise<PendingLogout | undefined> {
  const pending = await flows.take<PendingLogout>('logout', state);
  return pending?.stage === stage ? pending : undefined;
}

/** The record of `state` at `stage`, left in place (a SAML answer is verified before its record is used up). */
export async function peekPendingLogout(
  flows: UserAgentFlows,
  state: string,
  stage: PendingLogout['stage'],
): Promise<PendingLogout | undefined> {
  const pending = await flows.peek<PendingLogout>('logout', state);
  return pending?.stage === stage ? pending : undefined;
}
