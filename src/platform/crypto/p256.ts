/**
 * New EC P-256 key pairs, made safely. On Node 20, exporting a KeyObject fresh from
 * generateKeyPairSync (as JWK in particular) can deadlock the thread when a garbage collection
 * runs during the export: the collected key-generation job's destructor waits for the key
 * mutex the export holds. So the pair is generated straight into DER and imported again; only
 * imported keys are exported.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface P256KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePkcs8: Buffer;
  publicSpki: Buffer;
  /** The public key as a JWK: `kty`, `crv`, `x`, `y`. */
  publicJwk: JsonWebKey;
}

export function newP256KeyPair(): P256KeyPair {
  const der = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const privateKey = createPrivateKey({ key: der.privateKey, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({ key: der.publicKey, format: 'der', type: 'spki' });
  return {
    privateKey,
    publicKey,
    privatePkcs8: der.privateKey,
    publicSpki: der.publicKey,
    publicJwk: publicKey.export({ format: 'jwk' }),
  };
}
