/**
 * Compact JWE, `alg` ECDH-ES+A256KW and `enc` A256GCM (RFC 7516 / RFC 7518 §4.6), on node:crypto.
 *
 * A domain join answers one encrypted private key per key version. Every JWE of one answer
 * shares one ephemeral key, so the ECDH and the key derivation run once per answer; each JWE
 * still has its own random content key and stands alone for any conforming decrypter.
 */
import {
  createCipheriv,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

const ALG = 'ECDH-ES+A256KW';
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

export interface JweEncrypter {
  encrypt(plaintext: Uint8Array, contentType: string): string;
}

/** Prepares encryption to `recipient` (an EC P-256 public key). */
export function jweEncrypterFor(recipient: KeyObject): JweEncrypter {
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sharedSecret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const kek = concatKdf(sharedSecret, ALG, 256);
  const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' });
  const epk = { kty, crv, x, y };

  return {
    encrypt(plaintext, contentType) {
      const header = Buffer.from(JSON.stringify({ alg: ALG, enc: 'A256GCM', cty: contentType, epk })).toString(
        'base64url',
      );
      const cek = randomBytes(32);
      const wrap = createCipheriv('id-aes256-wrap', kek, AES_KW_IV);
      const encryptedKey = Buffer.concat([wrap.update(cek), wrap.final()]);
      const iv = randomBytes(12);
      const gcm = createCipheriv('aes-256-gcm', cek, iv);
      gcm.setAAD(Buffer.from(header));
      const ciphertext = Buffer.concat([gcm.update(plaintext), gcm.final()]);
      return [header, encryptedKey, iv, ciphertext, gcm.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
  };
}

/** Concat KDF (NIST SP 800-56A) with SHA-256, empty PartyUInfo/PartyVInfo, as JWA specifies. */
function concatKdf(z: Buffer, algorithmId: string, keyBits: number): Buffer {
  const lengthPrefixed = (value: Buffer) => Buffer.concat([uint32(value.length), value]);
  const otherInfo = Buffer.concat([
    lengthPrefixed(Buffer.from(algorithmId)),
    lengthPrefixed(Buffer.alloc(0)),
    lengthPrefixed(Buffer.alloc(0)),
    uint32(keyBits),
  ]);
  return createHash('sha256').update(uint32(1)).update(z).update(otherInfo).digest();
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
