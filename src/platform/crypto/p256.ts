/** New EC P-256 key pairs, with the encodings their callers store and publish. */
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface P256KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePkcs8: Buffer;
  publicSpki: Buffer;
  /** The public key as a JWK: `kty`, `crv`, `x`, `y`. */
  publicJwk: JsonWebKey;
}

export function newP256KeyPair(): P256KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    privatePkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
    publicSpki: publicKey.export({ format: 'der', type: 'spki' }),
    publicJwk: publicKey.export({ format: 'jwk' }),
  };
}
