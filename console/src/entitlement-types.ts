/** The entitlement side's operator model as the admin API answers it (src/entitlements/routes/operator-schemas.ts). */

export interface ServiceProvider {
  id: string;
  displayName: string;
}

export interface MvpdConnection {
  kind: 'oidc' | 'builtin' | 'saml';
  issuer?: string;
  clientId?: string;
  scopes?: string[];
  idpEntityId?: string;
  ssoUrl?: string;
  sloUrl?: string;
  certificates?: string[];
}

/** An MVPD as answered: an OIDC connection's client secret never comes back. */
export interface Mvpd {
  id: string;
  displayName: string;
  logoUrl: string;
  protocol: 'oidc' | 'saml';
  connection: MvpdConnection;
  hasLogoutEndpoint: boolean;
  authnTtlS: number;
  authzTtlS: number;
  entitlementClaim: string;
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
  redirectDomains: string[];
  scopes: string[];
}

export interface Statement {
  software_statement: string;
}
