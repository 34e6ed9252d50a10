/**
 * Media tokens (docs/entitlement-api.md, "Media tokens"): a permit decision carries one. It is a
 * compact JWS (ES256, `typ` `domus-media+jwt`) naming the service provider, the resource, the MVPD
 * and an anonymized session id, valid 7 minutes by default and meant to be used once (`jti`).
 * `serializedToken` is its base64 encoding, as Adobe's is. The public keys are served as a JWKS; a
 * programmer's backend checks tokens with `verifyMediaToken` (media-token-verifier.ts).
 *
 * Every authorize permit signs one, so the signature is made on the crypto worker threads
 * (DOMUS_CRYPTO_WORKERS), not in the event loop that serves the requests.
 */
import { createHmac, type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { CryptoWorkers, SigningKey } from '../../platform/crypto/crypto-workers.js';
import { jwsSegment } from '../../platform/crypto/es256.js';
import { newP256KeyPair } from '../../platform/crypto/p256.js';
import type { KeyStore } from '../../platform/keys/key-store.js';
import { MEDIA_TOKEN_ISSUER, MEDIA_TOKEN_TYPE } from './media-token-verifier.js';

export { MEDIA_TOKEN_JWKS_PATH } from './media-token-verifier.js';

export interface MediaTokenClaims {
  serviceProvider: string;
  resource: string;
  mvpd: string;
  /** The profile's session id; only a keyed hash of it goes into the token. */
  sessionId: string;
}

export interface IssuedMediaToken {
  serializedToken: string;
  notBefore: number;
  notAfter: number;
}

export class MediaTokens {
  /** Key of the session-id HMAC, derived once from the signing key. */
  readonly #sessionKey: Buffer;
  readonly #signingKey: SigningKey;
  /** The protected header's segment: the same for every token of this key. */
  readonly #header: string;

  private constructor(
    kid: string,
    privateKey: KeyObject,
    readonly publicJwk: JWK,
    private readonly ttlSeconds: number,
    private readonly crypto: CryptoWorkers,
  ) {
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    this.#signingKey = { id: kid, pkcs8 };
    this.#sessionKey = createHmac('sha256', pkcs8).update('media-token-session').digest();
    this.#header = jwsSegment({ typ: MEDIA_TOKEN_TYPE, kid, alg: 'ES256' });
  }

  static async load(keys: KeyStore, ttlSeconds: number, crypto: CryptoWorkers): Promise<MediaTokens> {
    const stored = await keys.loadOrCreate<JWK>('media-tokens', async () => {
      const pair = newP256KeyPair();
      const jwk = pair.publicJwk as JWK;
      return {
        publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' },
        privatePkcs8: pair.privatePkcs8,
      };
    });
    return new MediaTokens(stored.publicData.kid as string, stored.privateKey, stored.publicData, ttlSeconds, crypto);
  }

  /** The JWKS a verifier fetches. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async issue(claims: MediaTokenClaims, now = Date.now()): Promise<IssuedMediaToken> {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.ttlSeconds;
    const payload = jwsSegment({
      iss: MEDIA_TOKEN_ISSUER,
      jti: randomUUID(),
      iat,
      nbf: iat,
      exp,
      requestor: claims.serviceProvider,
      resource: claims.resource,
      mvpd: claims.mvpd,
      sid: this.#anonymize(claims.sessionId),
    });
    const input = `${this.#header}.${payload}`;
    const [signature] = await this.crypto.signEs256(this.#signingKey, [input]);
    const jws = `${input}.${signature}`;
    return { serializedToken: Buffer.from(jws).toString('base64'), notBefore: iat * 1000, notAfter: exp * 1000 };
  }

  /** A stable, unlinkable stand-in for a session id: HMAC under a key derived from the signing key. */
  #anonymize(sessionId: string): string {
    return createHmac('sha256', this.#sessionKey).update(sessionId).digest('base64url').slice(0, 32);
  }
}
