/**
 * Access tokens of the entitlement API (docs/entitlement-api.md, "2. Get an access token"): ES256
 * JWTs signed by a server key kept in the key store, so every process of a deployment issues and
 * accepts the same tokens. Claims: `iss`, `sub` (the client id), `scopes` (comma-separated, as
 * Adobe's tokens carry them), `iat`, `nbf`, `exp` and `jti` (the token's tracking id). The header
 * names the key (`kid`), so a later key rollover can accept old and new keys side by side.
 *
 * A valid signature is only half of the check: the client registration behind `sub` must still
 * exist and hold its application's current software statement (see api/request-context.ts).
 */
import { createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { decodeJws, signEs256, verifyEs256 } from '../../platform/crypto/es256.js';
import { newP256KeyPair } from '../../platform/crypto/p256.js';
import type { KeyStore } from '../../platform/keys/key-store.js';

export const ACCESS_TOKEN_ISSUER = 'domus';
const TOKEN_TYPE = 'at+jwt';
const KEY_NAME = 'entitlement-access-tokens';
/** Clock difference between processes tolerated on `nbf` (a token is never used past `exp`). */
const LEEWAY_S = 30;
/** Tokens whose signature was checked, remembered so each is checked once per process. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface IssuedAccessToken {
  id: string;
  token: string;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresInS: number;
}

export interface AccessTokenClaims {
  clientId: string;
  scopes: readonly string[];
  tokenId: string;
}

interface Verified {
  claims: AccessTokenClaims;
  nbf: number;
  exp: number;
}

export class AccessTokens {
  /** Verified tokens by their text (oldest out first). A token is immutable: only time changes its validity. */
  readonly #verified = new Map<string, Verified>();

  private constructor(
    private readonly kid: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly ttlS: number,
  ) {}

  static async load(keys: KeyStore, ttlS: number): Promise<AccessTokens> {
    const stored = await keys.loadOrCreate<JWK>(KEY_NAME, async () => {
      const pair = newP256KeyPair();
      const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      return {
        publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk) },
        privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
      };
    });
    return new AccessTokens(
      stored.publicData.kid as string,
      stored.privateKey,
      createPublicKey(stored.privateKey),
      ttlS,
    );
  }

  issue(clientId: string, scopes: readonly string[], now = Date.now()): IssuedAccessToken {
    const id = randomUUID();
    const iat = Math.floor(now / 1000);
    const token = signEs256(
      { typ: TOKEN_TYPE, kid: this.kid },
      {
        iss: ACCESS_TOKEN_ISSUER,
        sub: clientId,
        scopes: scopes.join(','),
        iat,
        nbf: iat,
        exp: iat + this.ttlS,
        jti: id,
      },
      this.privateKey,
    );
    return { id, token, createdAt: now, expiresInS: this.ttlS };
  }

  /**
   * The claims of a token this server signed and that is valid now; null for anything else. An
   * app sends its token with every call, so the signature of each is checked once and the
   * result kept (only the validity period is checked again).
   */
  verify(token: string, now = Date.now()): AccessTokenClaims | null {
    const verified = this.#verified.get(token) ?? this.#check(token);
    if (!verified) return null;
    const seconds = now / 1000;
    if (verified.nbf > seconds + LEEWAY_S || verified.exp <= seconds) return null;
    return verified.claims;
  }

  #check(token: string): Verified | null {
    const jws = decodeJws(token);
    if (!jws || jws.header.typ !== TOKEN_TYPE || jws.header.kid !== this.kid) return null;
    if (!verifyEs256(jws, this.publicKey)) return null;
    const { iss, sub, scopes, nbf, exp, jti } = jws.payload;
    if (iss !== ACCESS_TOKEN_ISSUER || typeof sub !== 'string' || typeof jti !== 'string') return null;
    if (typeof scopes !== 'string' || typeof nbf !== 'number' || typeof exp !== 'number') return null;
    const claims = { clientId: sub, scopes: Object.freeze(scopes ? scopes.split(',') : []), tokenId: jti };
    const verified = { claims: Object.freeze(claims), nbf, exp };
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value as string);
    this.#verified.set(token, verified);
    return verified;
  }
}
