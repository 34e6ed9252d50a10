/**
 * Schemas of the operator routes (routes/operator-routes.ts): what the admin API takes and
 * answers for service providers, MVPDs (with their OIDC or SAML connection), integrations,
 * applications and software statements.
 */
import { type TSchema, Type } from 'typebox';
import { Nullable } from '../../platform/http/admin.js';

export const Id = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'letters, digits, ".", "_", "-"' });
const HttpUrl = Type.String({ pattern: '^https?://', maxLength: 2048 });
const LogoUrl = Type.String({ pattern: '^(https?://|data:image/)', maxLength: 16_384 });

export const ServiceProviderInput = Type.Object(
  { displayName: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const ServiceProvider = Type.Object({ id: Type.String(), displayName: Type.String() });

const OidcConnectionInput = Type.Object(
  {
    kind: Type.Literal('oidc'),
    issuer: HttpUrl,
    clientId: Type.String({ minLength: 1, maxLength: 256 }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'required for a new OIDC connection; left out on an update, the stored secret is kept',
      }),
    ),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 })),
  },
  { additionalProperties: false, description: 'an OpenID Connect provider (protocol oidc)' },
);
const BuiltinConnectionInput = Type.Object(
  { kind: Type.Literal('builtin') },
  { additionalProperties: false, description: "Domus's built-in demo provider (protocol oidc)" },
);
const SamlConnectionInput = Type.Object(
  {
    kind: Type.Literal('saml'),
    idpEntityId: Type.String({ minLength: 1, maxLength: 1024, description: "the IdP's entity id" }),
    ssoUrl: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description: "the IdP's SingleSignOnService, HTTP-Redirect binding",
    }),
    sloUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        maxLength: 2048,
        description: "the IdP's SingleLogoutService, HTTP-Redirect binding; required exactly when hasLogoutEndpoint",
      }),
    ),
    certificates: Type.Array(Type.String({ minLength: 1, maxLength: 16_384 }), {
      minItems: 1,
      maxItems: 4,
      description: "PEM certificates of the IdP's signing keys (several during a key rollover)",
    }),
  },
  { additionalProperties: false, description: 'a SAML 2.0 identity provider (protocol saml)' },
);
const ConnectionInput = Type.Union([OidcConnectionInput, BuiltinConnectionInput, SamlConnectionInput]);
/** Each kind of connection's own schema, to name the field at fault in the kind the operator chose. */
export const CONNECTION_KINDS = {
  oidc: OidcConnectionInput,
  builtin: BuiltinConnectionInput,
  saml: SamlConnectionInput,
} as const;

const MvpdFields = {
  displayName: Type.String({ minLength: 1, maxLength: 200 }),
  logoUrl: LogoUrl,
  hasLogoutEndpoint: Type.Boolean(),
  authnTtlS: Type.Integer({ minimum: 60, maximum: 400 * 86_400 }),
  authzTtlS: Type.Integer({ minimum: 0, maximum: 86_400 }),
  entitlementClaim: Type.String({ minLength: 1, maxLength: 128 }),
  authNamespace: Type.String({ minLength: 1, maxLength: 128 }),
};
const Protocol = Type.Union([Type.Literal('oidc'), Type.Literal('saml')]);
export const MvpdInput = Type.Object(
  { ...MvpdFields, protocol: Protocol, connection: ConnectionInput },
  { additionalProperties: false },
);
export const MvpdView = Type.Object({
  id: Type.String(),
  ...MvpdFields,
  protocol: Protocol,
  connection: Type.Object({
    kind: Type.Union([Type.Literal('oidc'), Type.Literal('builtin'), Type.Literal('saml')]),
    issuer: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Type.String())),
    idpEntityId: Type.Optional(Type.String()),
    ssoUrl: Type.Optional(Type.String()),
    sloUrl: Type.Optional(Type.String()),
    certificates: Type.Optional(Type.Array(Type.String())),
  }),
});

export const Integration = Type.Object({
  serviceProviderId: Type.String(),
  mvpdId: Type.String(),
  active: Type.Boolean(),
});
const Host = Type.String({ pattern: '^(\\*\\.)?[A-Za-z0-9.-]{1,253}$' });
export const ApplicationInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    serviceProviders: Type.Array(Id, { minItems: 1, maxItems: 100 }),
    redirectDomains: Type.Array(Host, { minItems: 1, maxItems: 100 }),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export const ApplicationView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  serviceProviders: Type.Array(Type.String()),
  redirectDomains: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
});
export const Statement = Type.Object({ software_statement: Type.String() });

/**
 * The paging of the lists (operator/paging.ts). Query strings are text and nothing is coerced:
 * the limit takes only the decimal spelling, and `pageSize` reads it.
 */
export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's nextCursor" })),
  limit: Type.Optional(
    Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: 'page size, 1 to 500 (default 50)' }),
  ),
};
export const pageSize = (limit: string | undefined) => (limit === undefined ? undefined : Number(limit));

/** A list answer: one page of `item`, and the cursor of the next page (null on the last). */
export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'send as `cursor` for the next page; null on the last page' })),
  });
