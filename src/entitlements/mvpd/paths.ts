/**
 * Where the MVPD round trips land on Domus, and where the built-in demo providers live. One
 * place, so the connector, the demo providers and the routes agree on every URL.
 */

/** Prefix under which Domus serves its built-in demo identity providers. */
export const DEMO_MVPD_PREFIX = '/demo-mvpd';

/** Path of an MVPD's authorization-code callback (the redirect URI Domus registers). */
export function mvpdCallbackPath(mvpdId: string): string {
  return `/api/v2/mvpd-callback/${encodeURIComponent(mvpdId)}`;
}

/** Path an MVPD's RP-initiated logout returns to (the post-logout redirect URI). */
export function mvpdLogoutCallbackPath(mvpdId: string): string {
  return `/api/v2/mvpd-logout-callback/${encodeURIComponent(mvpdId)}`;
}

/**
 * Path of a SAML MVPD's assertion consumer service: the IdP's `Response` comes back here with the
 * HTTP-POST binding (the SAML counterpart of the authorization-code callback above).
 */
export function samlAcsPath(mvpdId: string): string {
  return `/api/v2/saml-acs/${encodeURIComponent(mvpdId)}`;
}

/** Path of a SAML MVPD's single logout service at Domus: the IdP's `LogoutResponse` (HTTP-Redirect). */
export function samlSloPath(mvpdId: string): string {
  return `/api/v2/saml-slo/${encodeURIComponent(mvpdId)}`;
}

/**
 * Path of Domus's SP metadata for one SAML MVPD. Its absolute URL is also Domus's SP entity id
 * toward that MVPD (so assertions meant for one MVPD's login are refused at another's).
 */
export function samlMetadataPath(mvpdId: string): string {
  return `/api/v2/saml-metadata/${encodeURIComponent(mvpdId)}`;
}

/** Path of a built-in demo provider: its issuer, below which every endpoint of it lives. */
export function demoIssuerPath(mvpdId: string): string {
  return `${DEMO_MVPD_PREFIX}/${encodeURIComponent(mvpdId)}`;
}

export const mvpdCallbackUrl = (publicRoot: string, mvpdId: string) => publicRoot + mvpdCallbackPath(mvpdId);
export const mvpdLogoutCallbackUrl = (publicRoot: string, mvpdId: string) =>
  publicRoot + mvpdLogoutCallbackPath(mvpdId);
export const demoIssuer = (publicRoot: string, mvpdId: string) => publicRoot + demoIssuerPath(mvpdId);
export const samlAcsUrl = (publicRoot: string, mvpdId: string) => publicRoot + samlAcsPath(mvpdId);
export const samlSloUrl = (publicRoot: string, mvpdId: string) => publicRoot + samlSloPath(mvpdId);
export const samlEntityId = (publicRoot: string, mvpdId: string) => publicRoot + samlMetadataPath(mvpdId);
