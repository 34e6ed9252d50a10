/**
 * The operator's model of the entitlement API (docs/entitlement-api.md, "Operator setup"), as the
 * rest of the module sees it.
 */

export interface ServiceProvider {
  id: string;
  displayName: string;
}

/** How Domus reaches an MVPD over OpenID Connect. `builtin` names a demo provider Domus serves. */
export type OidcConnection =
  | { kind: 'oidc'; issuer: string; clientId: string; clientSecret: string; scopes: string[] }
  | { kind: 'builtin'; clientId: string; clientSecret: string };

/** How Domus reaches a SAML 2.0 identity provider (Domus is its service provider). */
export interface SamlConnection {
  kind: 'saml';
  /** The IdP's entity id: the Issuer of its assertions and logout answers. */
  idpEntityId: string;
  /** The IdP's single sign-on service (HTTP-Redirect binding). */
  ssoUrl: string;
  /** The IdP's single logout service (HTTP-Redirect binding); present exactly when `hasLogoutEndpoint`. */
  sloUrl?: string;
  /** PEM certificates whose keys may sign the IdP's assertions and logout answers (several during a rollover). */
  certificates: string[];
}

export type MvpdConnection = OidcConnection | SamlConnection;

/** The protocol each connection kind speaks. */
export const protocolOf = (connection: Pick<MvpdConnection, 'kind'>): Mvpd['protocol'] =>
  connection.kind === 'saml' ? 'saml' : 'oidc';

export interface Mvpd {
  id: string;
  displayName: string;
  logoUrl: string;
  /** `oidc` with an `oidc` or `builtin` connection, `saml` with a `saml` one. */
  protocol: 'oidc' | 'saml';
  connection: MvpdConnection;
  hasLogoutEndpoint: boolean;
  authnTtlS: number;
  authzTtlS: number;
  /** Claim (OIDC) or attribute (SAML) listing the user's entitled resources (`*` = all). */
  entitlementClaim: string;
  /** Name qualifier (`nq`) of the household domain tokens of this MVPD's users. */
  authNamespace: string;
}

export interface Integration {
  serviceProviderId: string;
  mvpdId: string;
  active: boolean;
}

export interface Application {
  id: string;
  name: string;
  serviceProviders: string[];
  /** Host names a redirect URL may point at (a leading `*.` allows subdomains). */
  redirectDomains: string[];
  scopes: string[];
  statementId: string;
}

/** True when `url` is an absolute http(s) URL on one of the application's redirect domains. */
export function isAllowedRedirect(url: string, redirectDomains: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  if (parsed.username || parsed.password) return false;
  const host = parsed.hostname.toLowerCase();
  return redirectDomains.some((domain) => {
    const allowed = domain.toLowerCase();
    return allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed;
  });
}
