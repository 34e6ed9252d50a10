/**
 * The demo providers' keys, kept in the key store (sealed under the master key, shared by every
 * process): an ES256 signing key per MVPD for its ID tokens, and one secret for the providers'
 * signed cookies.
 *
 * The key store holds asymmetric private keys; the cookie secret is derived (HKDF-SHA256) from a
 * dedicated X25519 private key stored there for that purpose alone, so it is sealed at rest and
 * the same in every process like every other server key.
 */
import { generateKeyPairSync, hkdfSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { newP256KeyPair } from '../../../platform/crypto/p256.js';
import type { KeyStore } from '../../../platform/keys/key-store.js';

export const DEMO_SIGNING_ALG = 'ES256';
const COOKIE_KEY_NAME = 'demo-mvpd-cookies';
const COOKIE_KEY_INFO = 'domus demo-mvpd cookie signing v1';

/** The MVPD's ID-token signing key as a private JWK (`kid`, `alg`, `use` set), created on first use. */
export async function loadSigningJwk(keyStore: KeyStore, mvpdId: string): Promise<JWK> {
  const stored = await keyStore.loadOrCreate<JWK>(`demo-mvpd-signing:${mvpdId}`, async () => {
    const pair = newP256KeyPair();
    const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
    return {
      publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: DEMO_SIGNING_ALG, use: 'sig' },
      privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    };
  });
  const { kid, alg, use } = stored.publicData;
  return { ...(stored.privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use };
}

/** The keys that sign the demo providers' cookies (oidc-provider's `cookies.keys`). */
export async function loadCookieKeys(keyStore: KeyStore): Promise<string[]> {
  const stored = await keyStore.loadOrCreate<{ purpose: string }>(COOKIE_KEY_NAME, async () => ({
    publicData: { purpose: 'secret for the demo identity providers’ cookie signatures' },
    privatePkcs8: generateKeyPairSync('x25519', {
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    }).privateKey,
  }));
  const material = stored.privateKey.export({ format: 'der', type: 'pkcs8' });
  return [Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), COOKIE_KEY_INFO, 32)).toString('base64url')];
}
