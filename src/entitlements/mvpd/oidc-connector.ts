/**
 * Domus as an OpenID Connect relying party of an MVPD (docs/entitlement-api.md, "Operator setup"):
 * discovery, the authorization request with PKCE (S256), the code exchange with a checked ID token
 * and the user info, RP-initiated logout, and the entitlement claim.
 *
 * One OidcConnectors per process holds the caches (discovery documents for a short time, the
 * MVPDs' key sets); `for(mvpd)` gives the connector of one MVPD. A `builtin` connection names a
 * demo provider Domus serves itself at `{publicRoot}/demo-mvpd/{id}`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, customFetch, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { isStrictCompactJws } from '../../platform/crypto/es256.js';
import type { Mvpd } from '../operator/model.js';
import { DEMO_SCOPES } from './demo/claims.js';
import { entitlementsFromClaims } from './entitlement-claim.js';
import { MvpdError } from './errors.js';
import { type Fetch, type HttpOptions, networkError, oauthErrorCode, requestJsonObject } from './http.js';
import { fetchDiscovery, type ProviderMetadata } from './oidc-discovery.js';
import { demoIssuer, mvpdCallbackUrl, mvpdLogoutCallbackUrl } from './paths.js';

export type { ProviderMetadata };

export interface OidcConnectorOptions {
  /** Domus's public root URL (no trailing slash): redirect URIs and built-in issuers hang off it. */
  publicRoot(): string;
  /** Defaults to the global fetch. */
  fetch?: Fetch;
  /** Deadline of each call to an MVPD; default 5 s. */
  timeoutMs?: number;
  /** How long a discovery document is reused; default 60 s. */
  discoveryTtlMs?: number;
  /** Allowed clock skew for the ID token's times; default 60 s. */
  clockToleranceS?: number;
}

/** The result of a successful code exchange. */
export interface MvpdLogin {
  /** The ID token as received (kept for `id_token_hint` at logout). */
  idToken: string;
  /** The user's subject at the MVPD. */
  subject: string;
  /** User claims: the ID token's (protocol claims removed) overlaid with the user info's. */
  claims: Record<string, unknown>;
  /** The ID token's expiry, epoch seconds. */
  idTokenExpiresAt: number;
}

type MvpdRef = Pick<Mvpd, 'id' | 'connection'>;

const ASYMMETRIC_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
/** Claims about the token itself rather than the user: not passed on as user claims. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'azp',
  'at_hash',
  'c_hash',
  's_hash',
  'auth_time',
  'sid',
]);

/** A fresh PKCE code verifier (RFC 7636: 43–128 characters; here 43). */
export function createCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 code challenge of a code verifier. */
export function codeChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

/** A fresh random value for `state` and `nonce`. */
export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

export class OidcConnectors {
  readonly #options: Required<OidcConnectorOptions>;
  readonly #discovery = new Map<string, { expiresAt: number; metadata: Promise<ProviderMetadata> }>();
  readonly #keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(options: OidcConnectorOptions) {
    this.#options = {
      fetch: (input, init) => fetch(input, init),
      timeoutMs: 5_000,
      discoveryTtlMs: 60_000,
      clockToleranceS: 60,
      ...options,
    };
  }

  /** The connector of one MVPD (cheap: caches live here, not in the connector). */
  for(mvpd: MvpdRef): OidcConnector {
    return new OidcConnector(mvpd, this, this.#options.publicRoot());
  }

  get http(): HttpOptions {
    return { fetch: this.#options.fetch, timeoutMs: this.#options.timeoutMs };
  }

  get clockToleranceS(): number {
    return this.#options.clockToleranceS;
  }

  /** The issuer's discovery document, fetched at most once per TTL (failures are not cached). */
  discover(issuer: string): Promise<ProviderMetadata> {
    const now = Date.now();
    const cached = this.#discovery.get(issuer);
    if (cached && cached.expiresAt > now) return cached.metadata;
    const metadata = fetchDiscovery(this.http, issuer);
    this.#discovery.set(issuer, { expiresAt: now + this.#options.discoveryTtlMs, metadata });
    metadata.catch(() => {
      if (this.#discovery.get(issuer)?.metadata === metadata) this.#discovery.delete(issuer);
    });
    return metadata;
  }

  keySet(jwksUri: string): ReturnType<typeof createRemoteJWKSet> {
    let keySet = this.#keySets.get(jwksUri);
    if (!keySet) {
      const fetchImpl = this.#options.fetch;
      keySet = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: this.#options.timeoutMs,
        [customFetch]: (url, init) => fetchImpl(url, init),
      });
      this.#keySets.set(jwksUri, keySet);
    }
    return keySet;
  }
}

export class OidcConnector {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: string[];
  /** Where the MVPD sends the user agent back with the code. */
  readonly redirectUri: string;
  /** Where the MVPD's logout sends the user agent back. */
  readonly postLogoutRedirectUri: string;
  readonly #clientSecret: string;

  constructor(
    mvpd: MvpdRef,
    private readonly connectors: OidcConnectors,
    publicRoot: string,
  ) {
    const { connection } = mvpd;
    if (connection.kind === 'saml') throw new Error(`MVPD ${mvpd.id} is not an OpenID Connect MVPD`);
    this.issuer = connection.kind === 'builtin' ? demoIssuer(publicRoot, mvpd.id) : connection.issuer;
    this.clientId = connection.clientId;
    this.#clientSecret = connection.clientSecret;
    this.scopes =
      connection.kind === 'builtin'
        ? [...DEMO_SCOPES]
        : ['openid', ...connection.scopes.filter((scope) => scope !== 'openid')];
    this.redirectUri = mvpdCallbackUrl(publicRoot, mvpd.id);
    this.postLogoutRedirectUri = mvpdLogoutCallbackUrl(publicRoot, mvpd.id);
  }

  discovery(): Promise<ProviderMetadata> {
    return this.connectors.discover(this.issuer);
  }

  /** The URL to send the user agent to: an authorization-code request with PKCE (S256). */
  async authorizationUrl(request: { state: string; nonce: string; codeVerifier: string }): Promise<string> {
    const metadata = await this.discovery();
    const url = new URL(metadata.authorization_endpoint);
    const params = {
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: this.redirectUri,
      scope: this.scopes.join(' '),
      state: request.state,
      nonce: request.nonce,
      code_challenge: codeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  }

  /**
   * The code of the MVPD's authorization response (the callback's query). An error response
   * throws `oauth_error` with the MVPD's code (e.g. `access_denied` when the user cancelled); an
   * `iss` naming another issuer (RFC 9207, mix-up defence) throws `invalid_response`. Matching
   * `state` to the flow in progress is the caller's.
   */
  readCallback(params: URLSearchParams): string {
    const iss = params.get('iss');
    if (iss !== null && iss !== this.issuer) {
      throw new MvpdError('invalid_response', 'authorization response from another issuer');
    }
    const error = params.get('error');
    if (error !== null) {
      const code = oauthErrorCode({ error });
      throw new MvpdError('oauth_error', `authorization refused${code ? ` (${code})` : ''}`, code);
    }
    const code = params.get('code');
    if (!code) throw new MvpdError('invalid_response', 'authorization response has no code');
    return code;
  }

  /** Exchanges the code for tokens; answers the checked ID token and the user's claims. */
  async exchangeCode(code: string, codeVerifier: string, nonce: string): Promise<MvpdLogin> {
    const metadata = await this.discovery();
    const tokens = await this.#tokenRequest(metadata, code, codeVerifier);
    if (typeof tokens.id_token !== 'string') throw new MvpdError('invalid_response', 'token answer has no id_token');
    const payload = await this.#verifyIdToken(metadata, tokens.id_token, nonce);
    const subject = payload.sub as string;
    const claims: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(payload)) if (!PROTOCOL_CLAIMS.has(name)) claims[name] = value;
    if (metadata.userinfo_endpoint && typeof tokens.access_token === 'string') {
      const userinfo = await requestJsonObject(
        this.connectors.http,
        metadata.userinfo_endpoint,
        { headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' } },
        'user info',
      );
      if (userinfo.sub !== subject) throw new MvpdError('invalid_response', 'user info is about another subject');
      Object.assign(claims, userinfo);
    }
    return { idToken: tokens.id_token, subject, claims, idTokenExpiresAt: payload.exp as number };
  }

  /**
   * The MVPD's RP-initiated logout URL, or undefined when the provider has no end_session_endpoint.
   * `postLogoutRedirectUri` defaults to Domus's logout callback for this MVPD.
   */
  async logoutUrl(request: {
    idTokenHint: string;
    state: string;
    postLogoutRedirectUri?: string;
  }): Promise<string | undefined> {
    const metadata = await this.discovery();
    if (!metadata.end_session_endpoint) return undefined;
    const url = new URL(metadata.end_session_endpoint);
    url.searchParams.set('id_token_hint', request.idTokenHint);
    url.searchParams.set('post_logout_redirect_uri', request.postLogoutRedirectUri ?? this.postLogoutRedirectUri);
    url.searchParams.set('state', request.state);
    url.searchParams.set('client_id', this.clientId);
    return url.href;
  }

  /** The resources the claims entitle (`['*']` = all). */
  entitlements(claims: Record<string, unknown>, entitlementClaim: string): string[] {
    return entitlementsFromClaims(claims, entitlementClaim);
  }

  async #tokenRequest(metadata: ProviderMetadata, code: string, codeVerifier: string) {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.redirectUri,
      code_verifier: codeVerifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const methods = metadata.token_endpoint_auth_methods_supported;
    if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      body.set('client_id', this.clientId);
      body.set('client_secret', this.#clientSecret);
    } else {
      // RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
      const pair = `${formEncode(this.clientId)}:${formEncode(this.#clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
    return requestJsonObject(
      this.connectors.http,
      metadata.token_endpoint,
      { method: 'POST', headers, body: body.toString() },
      'token request',
    );
  }

  async #verifyIdToken(metadata: ProviderMetadata, idToken: string, nonce: string): Promise<JWTPayload> {
    const offered = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
    const algorithms = offered.filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg));
    // The one form of every JWS Domus reads (crypto/es256.ts), which jose alone does not insist on.
    if (!isStrictCompactJws(idToken)) {
      throw new MvpdError('invalid_id_token', 'ID token rejected: not canonical base64url, or a crit header');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.connectors.keySet(metadata.jwks_uri), {
        issuer: metadata.issuer,
        audience: this.clientId,
        algorithms,
        clockTolerance: this.connectors.clockToleranceS,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout) {
        throw new MvpdError('timeout', 'keys: no answer in time', undefined, { cause: error });
      }
      if (!(error instanceof joseErrors.JOSEError)) throw networkError(error, 'keys');
      throw new MvpdError('invalid_id_token', `ID token rejected: ${error.code}`, undefined, { cause: error });
    }
    if (payload.nonce !== nonce) throw new MvpdError('invalid_id_token', 'ID token rejected: nonce mismatch');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.clientId) {
      throw new MvpdError('invalid_id_token', 'ID token rejected: azp is not this client');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new MvpdError('invalid_id_token', 'ID token rejected: no subject');
    }
    return payload;
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
