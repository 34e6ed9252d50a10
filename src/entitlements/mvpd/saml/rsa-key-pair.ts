/**
 * New RSA key pairs, made the way platform/crypto/p256.ts makes EC ones: on Node 20, exporting a
 * KeyObject fresh from key generation can deadlock the thread when a garbage collection runs
 * during the export (the collected generation job's destructor waits for the key mutex the
 * export holds). So the pair is generated straight into DER and imported again; only imported
 * keys are ever exported. Generation runs off the event loop (RSA-2048 takes ~200 ms).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePkcs8: Buffer;
  publicSpki: Buffer;
}

export function newRsaKeyPair(modulusLength = 2048): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      },
      (error, publicSpki, privatePkcs8) => {
        if (error) return reject(error);
        resolve({
          privateKey: createPrivateKey({ key: privatePkcs8, format: 'der', type: 'pkcs8' }),
          publicKey: createPublicKey({ key: publicSpki, format: 'der', type: 'spki' }),
          privatePkcs8,
          publicSpki,
        });
      },
    );
  });
}
