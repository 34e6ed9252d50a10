/** New RSA key pairs (SAML signing keys), generated off the event loop (RSA-2048 takes ~200 ms). */
import { generateKeyPair, type KeyObject } from 'node:crypto';

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePkcs8: Buffer;
  publicSpki: Buffer;
}

export function newRsaKeyPair(modulusLength = 2048): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength, publicExponent: 0x10001 }, (error, publicKey, privateKey) => {
      if (error) return reject(error);
      resolve({
        privateKey,
        publicKey,
        privatePkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
        publicSpki: publicKey.export({ format: 'der', type: 'spki' }),
      });
    });
  });
}
