/**
 * Media tokens (pass-api.md §6): a permit decision carries one. It is a compact JWS (ES256,
 * `typ` `domus-media+jwt`) naming the service provider, the resource, the MVPD and an anonymized
 * session id, valid 7 minutes by default and meant to be used once (`jti`). `serializedToken`
 * is its base64 encoding, as Adobe's is. The public keys are served as a JWKS; a programmer's
 * backend checks tokens with `verifyMediaToken` (media-token-verifier.ts).
 */
import { createHmac, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { signEs256 } from '../../platform/crypto/es256.js';
import type { KeyStore } from '../../platform/keys/key-store.js';

export const MEDIA_TOKEN_TYPE = 'domus-media+jwt';
export const MEDIA_TOKEN_ISSUER = 'domus-media-tokens';
export const MEDIA_TOKEN_JWKS_PATH = '/media-tokens/jwks.json';

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
  private constructor(
    private readonly kid: string,
    private readonly privateKey: KeyObject,
    readonly publicJwk: JWK,
    private readonly ttlSeconds: number,
  ) {}

  static async load(keys: KeyStore, ttlSeconds: number): Promise<MediaTokens> {
    const stored = await keys.loadOrCreate<JWK>('media-tokens', async () => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      return {
        publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' },
        privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
      };
    });
    return new MediaTokens(stored.publicData.kid as string, stored.privateKey, stored.publicData, ttlSeconds);
  }

  /** The JWKS a verifier fetches. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  issue(claims: MediaTokenClaims, now = Date.now()): IssuedMediaToken {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.ttlSeconds;
    const jws = signEs256(
      { typ: MEDIA_TOKEN_TYPE, kid: this.kid },
      {
        iss: MEDIA_TOKEN_ISSUER,
        jti: randomUUID(),
        iat,
        nbf: iat,
        exp,
        requestor: claims.serviceProvider,
        resource: claims.resource,
        mvpd: claims.mvpd,
        sid: this.#anonymize(claims.sessionId),
      },
      this.privateKey,
    );
    return { serializedToken: Buffer.from(jws).toString('base64'), notBefore: iat * 1000, notAfter: exp * 1000 };
  }

  /** A stable, unlinkable stand-in for a session id: HMAC under a key derived from the signing key. */
  #anonymize(sessionId: string): string {
    const secret = this.privateKey.export({ format: 'der', type: 'pkcs8' });
    return createHmac('sha256', secret).update(`media-token-session:${sessionId}`).digest('base64url').slice(0, 32);
  }
}
