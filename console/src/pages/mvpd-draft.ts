/**
 * The MVPD form's state (text as typed) and how it maps to and from the admin API: an MVPD
 * becomes a draft to edit, and a draft becomes the PUT body, the connection's fields by its kind.
 */
import type { Mvpd } from '../entitlement-types';
import { asNumber } from '../ui/form';

export type Kind = Mvpd['connection']['kind'];

/** The form's state: text as typed, turned into the API's body on save. */
export interface Draft {
  id: string;
  displayName: string;
  logoUrl: string;
  protocol: Mvpd['protocol'];
  kind: Kind;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  idpEntityId: string;
  ssoUrl: string;
  sloUrl: string;
  certificates: string;
  hasLogoutEndpoint: boolean;
  authnTtlS: string;
  authzTtlS: string;
  entitlementClaim: string;
  authNamespace: string;
}

export const EMPTY: Draft = {
  id: '',
  displayName: '',
  logoUrl: '',
  protocol: 'oidc',
  kind: 'oidc',
  issuer: '',
  clientId: '',
  clientSecret: '',
  scopes: '',
  idpEntityId: '',
  ssoUrl: '',
  sloUrl: '',
  certificates: '',
  hasLogoutEndpoint: false,
  authnTtlS: '2592000',
  authzTtlS: '300',
  entitlementClaim: '',
  authNamespace: '',
};

export const PROTOCOLS = [
  { value: 'oidc', label: 'OpenID Connect (oidc)' },
  { value: 'saml', label: 'SAML 2.0 (saml)' },
];
export const KINDS = [
  { value: 'oidc', label: 'OpenID Connect provider' },
  { value: 'saml', label: 'SAML 2.0 identity provider' },
  { value: 'builtin', label: 'Built-in demo provider' },
];

export function draftOf(mvpd: Mvpd): Draft {
  const c = mvpd.connection;
  return {
    ...EMPTY,
    id: mvpd.id,
    displayName: mvpd.displayName,
    logoUrl: mvpd.logoUrl,
    protocol: mvpd.protocol,
    kind: c.kind,
    issuer: c.issuer ?? '',
    clientId: c.clientId ?? '',
    scopes: (c.scopes ?? []).join(' '),
    idpEntityId: c.idpEntityId ?? '',
    ssoUrl: c.ssoUrl ?? '',
    sloUrl: c.sloUrl ?? '',
    certificates: (c.certificates ?? []).map((pem) => pem.trim()).join('\n\n'),
    hasLogoutEndpoint: mvpd.hasLogoutEndpoint,
    authnTtlS: String(mvpd.authnTtlS),
    authzTtlS: String(mvpd.authzTtlS),
    entitlementClaim: mvpd.entitlementClaim,
    authNamespace: mvpd.authNamespace,
  };
}

/** Each PEM block of the text, and whatever else it holds as blocks of their own (for the API to refuse by index). */
export function pemBlocks(text: string): string[] {
  return text
    .split(/(?<=-----END CERTIFICATE-----)/)
    .map((block) => block.trim())
    .filter((block) => block !== '');
}

const words = (text: string) => text.split(/[\s,]+/).filter((word) => word !== '');

export function bodyOf(draft: Draft) {
  const optional = (text: string) => (text.trim() === '' ? undefined : text.trim());
  const connection =
    draft.kind === 'oidc'
      ? {
          kind: 'oidc',
          issuer: draft.issuer.trim(),
          clientId: draft.clientId,
          clientSecret: draft.clientSecret === '' ? undefined : draft.clientSecret,
          scopes: words(draft.scopes).length > 0 ? words(draft.scopes) : undefined,
        }
      : draft.kind === 'saml'
        ? {
            kind: 'saml',
            idpEntityId: draft.idpEntityId.trim(),
            ssoUrl: draft.ssoUrl.trim(),
            sloUrl: optional(draft.sloUrl),
            certificates: pemBlocks(draft.certificates),
          }
        : { kind: 'builtin' };
  return {
    displayName: draft.displayName,
    logoUrl: draft.logoUrl.trim(),
    protocol: draft.protocol,
    connection,
    hasLogoutEndpoint: draft.hasLogoutEndpoint,
    authnTtlS: asNumber(draft.authnTtlS, undefined),
    authzTtlS: asNumber(draft.authzTtlS, undefined),
    entitlementClaim: draft.entitlementClaim,
    authNamespace: draft.authNamespace,
  };
}
