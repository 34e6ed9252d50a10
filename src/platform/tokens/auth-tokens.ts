/**
 * Trusted auth-token issuers (docs/domain-protocol.md §6). The domain server knows only this
 * interface; issuers are registered from configuration, by the local `domus token mint`
 * issuer, and by other modules of Domus that issue tokens.
 *
 * jose verifies the signature; before it, a token must have the one compact form every JWS in
 * Domus has (crypto/es256.ts: canonical base64url, no `crit` header).
 */
import { createLocalJWKSet, decodeJwt, type JWK, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { isStrictCompactJws } from '../crypto/es256.js';

export interface AuthClaims {
  issuer: string;
  /** User name (`sub`). */
  subject: string;
  /** Name qualifier, the authentication namespace (`nq`). */
  namespace: string;
}

export interface AuthTokenVerifier {
  /** Resolves the claims of a valid token; rejects with AuthTokenError otherwise. */
  verify(token: string): Promise<AuthClaims>;
}

export class AuthTokenError extends Error {
  override name = 'AuthTokenError';
}

const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];
export const AUTH_TOKEN_CLOCK_SKEW_S = 60;

export class TrustedIssuers implements AuthTokenVerifier {
  readonly #keySets = new Map<string, JWTVerifyGetKey>();

  /** Trusts `keys` for tokens whose `iss` is `issuer` (replacing earlier keys of that issuer). */
  add(issuer: string, keys: JWK[]): void {
    this.#keySets.set(issuer, createLocalJWKSet({ keys }));
  }

  has(issuer: string): boolean {
    return this.#keySets.has(issuer);
  }

  async verify(token: string): Promise<AuthClaims> {
    let issuer: unknown;
    if (!isStrictCompactJws(token)) {
      throw new AuthTokenError('auth token is not a compact JWS of canonical base64url without crit');
    }
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new AuthTokenError('auth token is not a JWT');
    }
    const keySet = typeof issuer === 'string' ? this.#keySets.get(issuer) : undefined;
    if (!keySet) throw new AuthTokenError('auth token issuer is not trusted');
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: issuer as string,
        algorithms: ALGORITHMS,
        clockTolerance: AUTH_TOKEN_CLOCK_SKEW_S,
        requiredClaims: ['exp', 'sub'],
      });
      if (typeof payload.nq !== 'string' || payload.nq === '' || !payload.sub) {
        throw new AuthTokenError('auth token needs the claims sub and nq');
      }
      return { issuer: issuer as string, subject: payload.sub, namespace: payload.nq };
    } catch (error) {
      if (error instanceof AuthTokenError) throw error;
      throw new AuthTokenError(`auth token rejected: ${(error as Error).message}`);
    }
  }
}
