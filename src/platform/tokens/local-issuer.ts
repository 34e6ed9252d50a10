/**
 * The local auth-token issuer behind `domus token mint`: an ES256 key generated into the key
 * store, trusted by this server, so an operator can try identity-based domains without any
 * other system.
 */
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import { newP256KeyPair } from '../crypto/p256.js';
import type { KeyStore } from '../keys/key-store.js';

export interface MintOptions {
  subject: string;
  namespace: string;
  ttlSeconds: number;
}

export class LocalIssuer {
  private constructor(
    readonly issuer: string,
    readonly publicJwk: JWK,
    private readonly privateKey: KeyObject,
  ) {}

  static async load(keys: KeyStore, issuer: string): Promise<LocalIssuer> {
    const stored = await keys.loadOrCreate<JWK>('auth-issuer-local', async () => {
      const pair = newP256KeyPair();
      const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      const publicJwk: JWK = { ...jwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
      return { publicData: publicJwk, privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }) };
    });
    return new LocalIssuer(issuer, stored.publicData, stored.privateKey);
  }

  mint({ subject, namespace, ttlSeconds }: MintOptions): Promise<string> {
    return new SignJWT({ nq: namespace })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.publicJwk.kid })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.privateKey);
  }
}
