/**
 * The profile a successful MVPD login yields (docs/entitlement-api.md, "5. Sign the viewer in"),
 * keyed by the session's client registration, device, service provider and MVPD (whoever completed
 * the login in the user agent: on a second screen the profile is the primary device's).
 *
 * User metadata (`attributes`, all `state: 'plain'`):
 * - `userID`: the MVPD's `userID` claim, else its subject;
 * - `upstreamUserID`: the MVPD's `upstreamUserID` claim, else its subject;
 * - `householdID`: the MVPD's `householdID` claim, when it sends one.
 *
 * The same for both protocols: an OIDC MVPD's claims (ID token and user info) or a SAML MVPD's
 * assertion attributes (attribute names as the claim names above), its subject or NameID.
 *
 * Kept sealed for Domus alone (`upstream`): the subject, the entitlements read from the MVPD's
 * entitlement claim, the household id and what logout needs (the ID token, or the SAML NameID
 * and SessionIndex). `notAfter` = login time + the MVPD's authN TTL.
 */
import type { SamlSession } from '../mvpd/saml/saml-session.js';
import type { Mvpd } from '../operator/model.js';
import type { AuthenticationSession } from '../sessions/session-store.js';
import type { Profile, ProfileAttribute } from './profile-store.js';

/** What the MVPD said about the user (the connector's checked login). */
export interface UpstreamLogin {
  /** The OIDC subject, or the SAML NameID. */
  subject: string;
  /** OIDC: the ID token as received. */
  idToken?: string;
  /** SAML: the NameID and SessionIndex. */
  saml?: SamlSession;
  /** OIDC claims, or SAML attributes. */
  claims: Record<string, unknown>;
  /** The resources the entitlement claim lists (`['*']` = all). */
  entitlements: string[];
}

const MAX_ATTRIBUTE_CHARS = 256;

export function profileFromLogin(
  login: UpstreamLogin,
  session: Pick<AuthenticationSession, 'clientId' | 'deviceId' | 'serviceProviderId' | 'code' | 'sessionId'>,
  mvpd: Pick<Mvpd, 'id' | 'authnTtlS'>,
  now = Date.now(),
): Omit<Profile, 'id'> {
  const userId = claimText(login.claims, 'userID') ?? login.subject;
  const householdId = claimText(login.claims, 'householdID');
  const attributes: Record<string, ProfileAttribute> = {
    userID: plain(userId),
    upstreamUserID: plain(claimText(login.claims, 'upstreamUserID') ?? login.subject),
    ...(householdId !== undefined && { householdID: plain(householdId) }),
  };
  return {
    clientId: session.clientId,
    deviceId: session.deviceId,
    serviceProviderId: session.serviceProviderId,
    mvpdId: mvpd.id,
    code: session.code,
    sessionId: session.sessionId,
    attributes,
    upstream: {
      subject: login.subject,
      entitlements: login.entitlements,
      householdId: householdId ?? null,
      idToken: login.idToken ?? null,
      ...(login.saml && { saml: login.saml }),
    },
    notBefore: now,
    notAfter: now + mvpd.authnTtlS * 1000,
  };
}

const plain = (value: string): ProfileAttribute => ({ value, state: 'plain' });

/** A claim as text: a non-empty string or a finite number, at most MAX_ATTRIBUTE_CHARS long. */
function claimText(claims: Record<string, unknown>, name: string): string | undefined {
  const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_ATTRIBUTE_CHARS) return undefined;
  return text;
}
