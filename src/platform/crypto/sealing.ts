/**
 * Encryption at rest: AES-256-GCM under the server master key.
 *
 * A sealed value is `v1.<base64url(iv | tag | ciphertext)>`. Each value is bound to a label
 * (additional authenticated data, e.g. "domain-key:42:3"), so a sealed key copied into another
 * row does not open.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.js';

const PREFIX = 'v1.';

export class SealError extends Error {
  override name = 'SealError';
}

export class Sealer {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new SealError('master key must be 32 bytes');
    this.#key = Buffer.from(masterKey);
  }

  seal(plaintext: Uint8Array, label: string): string {
    const iv = pooledRandomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(label));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(sealed: string, label: string): Buffer {
    if (!sealed.startsWith(PREFIX)) throw new SealError('unknown sealed format');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    if (raw.length < 28) throw new SealError('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(label));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    } catch {
      throw new SealError(`cannot open sealed value "${label}": wrong master key or tampered data`);
    }
  }
}
