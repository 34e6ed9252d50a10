/**
 * One built-in demo MVPD as a real OpenID Connect provider (oidc-provider): issuer
 * `{publicRoot}/demo-mvpd/{id}`, one client (Domus, with the MVPD's builtin client id and
 * secret), authorization code with PKCE S256 required, ES256 ID tokens, scopes openid, profile
 * and tve. RP-initiated logout only when the MVPD has a logout endpoint. Consent is implied:
 * Domus is the only client of its own demo provider. State lives in the database (adapter.ts).
 */
import type { EventEmitter } from 'node:events';
import type { JWK } from 'jose';
import Provider, {
  type Adapter,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Logger } from '../../../platform/logger.js';
import type { Mvpd } from '../../operator/model.js';
import { demoIssuer, mvpdCallbackUrl, mvpdLogoutCallbackUrl } from '../paths.js';
import { DEMO_SCOPE_CLAIMS, DEMO_SCOPES, demoUserClaims } from './claims.js';
import { DEMO_SIGNING_ALG } from './keys.js';
import { type Branding, errorPage, loggedOutPage, logoutPage } from './pages.js';
import type { DemoUsers } from './users.js';

export interface DemoProviderSettings {
  mvpd: Mvpd;
  publicRoot: string;
  users: DemoUsers;
  adapter: (model: string) => Adapter;
  signingJwk: JWK;
  cookieKeys: string[];
  logger: Logger;
}

/** Lifetimes, seconds. */
const TTL = {
  AuthorizationCode: 60,
  AccessToken: 600,
  IdToken: 3_600,
  Interaction: 1_800,
  Session: 86_400,
  Grant: 86_400,
};

export function createDemoProvider(settings: DemoProviderSettings): Provider {
  const { mvpd, publicRoot, users, logger } = settings;
  if (mvpd.connection.kind !== 'builtin') throw new Error(`MVPD ${mvpd.id} is not served by the demo provider`);
  const issuer = demoIssuer(publicRoot, mvpd.id);
  const branding: Branding = { displayName: mvpd.displayName, logoUrl: mvpd.logoUrl };

  const client: ClientMetadata = {
    client_id: mvpd.connection.clientId,
    client_secret: mvpd.connection.clientSecret,
    client_name: 'Domus',
    redirect_uris: [mvpdCallbackUrl(publicRoot, mvpd.id)],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: DEMO_SIGNING_ALG,
    ...(mvpd.hasLogoutEndpoint && { post_logout_redirect_uris: [mvpdLogoutCallbackUrl(publicRoot, mvpd.id)] }),
  };

  const configuration: Configuration = {
    adapter: settings.adapter,
    clients: [client],
    jwks: { keys: [settings.signingJwk] },
    async findAccount(_ctx, sub) {
      const user = users.byUserID(sub);
      return user && { accountId: user.userID, claims: async () => ({ ...demoUserClaims(user), sub: user.userID }) };
    },
    scopes: [...DEMO_SCOPES],
    claims: DEMO_SCOPE_CLAIMS,
    // The ID token carries the granted scopes' claims too, not only the user info.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { required: () => true },
    clientBasedCORS: () => false,
    cookies: {
      keys: settings.cookieKeys,
      // The session cookie belongs to this provider alone: DemoCable and DemoSat share a host.
      long: { httpOnly: true, sameSite: 'lax', path: new URL(issuer).pathname },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    interactions: { url: (_ctx, interaction) => `${issuer}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: mvpd.hasLogoutEndpoint
        ? {
            enabled: true,
            async logoutSource(ctx, form) {
              ctx.type = 'html';
              ctx.body = logoutPage(branding, form, hintNamesSessionUser(ctx));
            },
            async postLogoutSuccessSource(ctx) {
              ctx.type = 'html';
              ctx.body = loggedOutPage(branding);
            },
          }
        : { enabled: false },
    },
    loadExistingGrant: grantAllDemoScopes,
    // Unexpected errors are logged by the server_error listener below.
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(
        branding,
        String(out.error),
        out.error_description ? String(out.error_description) : undefined,
      );
    },
    ttl: { ...TTL },
  };

  const provider = new Provider(issuer, configuration);
  // Koa builds endpoint URLs from Host and protocol; the forwarded headers are set by the mount
  // from the public root (and nothing else), so every URL the provider hands out is under its issuer.
  provider.proxy = true;
  provider.on('server_error', (_ctx, error) =>
    logger.error({ err: error, mvpd: mvpd.id }, 'demo identity provider failed'),
  );
  // Koa's own last-resort handler would print to the console; log through pino instead.
  (provider as unknown as EventEmitter).on('error', (error: Error) =>
    logger.error({ err: error, mvpd: mvpd.id }, 'demo identity provider failed'),
  );
  return provider;
}

/**
 * Consent is implied for Domus, the provider's only client: the grant of this session (or a new
 * one) always holds the demo scopes, so no consent prompt is ever shown.
 */
async function grantAllDemoScopes(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  const accountId = oidc.session?.accountId;
  if (!clientId || !accountId) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  const grant = existing ?? new oidc.provider.Grant({ clientId, accountId });
  grant.addOIDCScope(DEMO_SCOPES.join(' '));
  await grant.save();
  return grant;
}

/** True when the logout request's (validated) id_token_hint names the user of this session. */
function hintNamesSessionUser(ctx: KoaContextWithOIDC): boolean {
  const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sub?: unknown } } | undefined;
  const accountId = ctx.oidc.session?.accountId;
  return accountId !== undefined && hint?.payload?.sub === accountId;
}
