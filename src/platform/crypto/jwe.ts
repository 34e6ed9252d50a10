/**
 * Compact JWE, `alg` ECDH-ES+A256KW and `enc` A256GCM (RFC 7516 / RFC 7518 §4.6), on node:crypto.
 *
 * A domain join answers one encrypted private key per key version. Every JWE of one answer
 * shares one ephemeral key, so the ECDH and the key derivation run once per answer; each JWE
 * still has its own random content key and stands alone for any conforming decrypter.
 */
import { createCipheriv, createECDH, createHash, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';

const ALG = 'ECDH-ES+A256KW';
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
/** DER SubjectPublicKeyInfo of an EC P-256 key up to its uncompressed point (0x04 | x | y). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P256_POINT_BYTES = 65;

export interface JweEncrypter {
  encrypt(plaintext: Uint8Array, contentType: string): string;
}

/**
 * Prepares encryption to `recipient`: an EC P-256 public key, or its uncompressed point
 * (0x04 | x | y), which spares exporting the key (an export costs as much as the ECDH).
 */
export function jweEncrypterFor(recipient: KeyObject | Uint8Array): JweEncrypter {
  // The ephemeral key is an ECDH object: it hands out its public point without a key export.
  const ephemeral = createECDH('prime256v1');
  const point = ephemeral.generateKeys(); // uncompressed: 0x04 | x | y
  const sharedSecret = ephemeral.computeSecret(recipient instanceof Uint8Array ? recipient : p256Point(recipient));
  const kek = concatKdf(sharedSecret, ALG, 256);
  const epk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
  };

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

/** The uncompressed point of an EC P-256 key (its public half). */
function p256Point(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.type === 'public' ? publicKey.export({ format: 'der', type: 'spki' }) : undefined;
  if (
    spki?.length !== P256_SPKI_PREFIX.length + P256_POINT_BYTES ||
    !spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)
  ) {
    throw new TypeError('a JWE recipient must be an EC P-256 public key');
  }
  return spki.subarray(P256_SPKI_PREFIX.length);
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
