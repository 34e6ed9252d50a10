/**
 * The public-key work of requests, off the event loop: on `size` worker threads, or in the
 * event loop itself when `size` is 0. Both run the same code (`perform`), so answers do not
 * depend on where they were made. One message per step keeps thread hand-offs few.
 */
import type { KeyObject } from 'node:crypto';
import { WorkerPool } from '../workers/worker-pool.js';
import { type DecodedJws, importP256PublicJwk, verifyEs256 } from './es256.js';
import { jweEncrypterFor } from './jwe.js';

/** A public key, or a public EC P-256 JWK still to be imported (and checked) by the worker. */
export type VerificationKey = KeyObject | { kty: 'EC'; crv: 'P-256'; x: string; y: string };

/** An ES256 signature to check against candidate keys: it holds when any of them verifies it. */
export interface SignatureCheck {
  jws: Pick<DecodedJws, 'header' | 'signingInput' | 'signature'>;
  keys: VerificationKey[];
}

/** `bad-key`: no candidate key could be imported as a P-256 public key. */
export type SignatureResult = 'valid' | 'invalid' | 'bad-key';

type CryptoRequest =
  | { kind: 'verify'; checks: SignatureCheck[] }
  | { kind: 'jwe'; recipient: Uint8Array; plaintexts: Uint8Array[]; contentType: string };

export function perform(request: CryptoRequest): SignatureResult[] | string[] {
  if (request.kind === 'verify') return request.checks.map(check);
  const encrypter = jweEncrypterFor(request.recipient);
  return request.plaintexts.map((plaintext) => encrypter.encrypt(plaintext, request.contentType));
}

function check({ jws, keys }: SignatureCheck): SignatureResult {
  const decoded = { ...jws, payload: {}, signature: Buffer.from(jws.signature) };
  let imported = false;
  for (const candidate of keys) {
    const key = 'type' in candidate ? candidate : importP256PublicJwk(candidate);
    if (!key) continue;
    imported = true;
    if (verifyEs256(decoded, key)) return 'valid';
  }
  return imported ? 'invalid' : 'bad-key';
}

export class CryptoWorkers {
  readonly #pool: WorkerPool<CryptoRequest> | undefined;

  constructor(size: number) {
    this.#pool = size > 0 ? new WorkerPool(new URL('./crypto-worker.ts', import.meta.url), size) : undefined;
  }

  /** The result of each check, in order. */
  verifyEs256(checks: SignatureCheck[]): Promise<SignatureResult[]> {
    return this.#run({ kind: 'verify', checks }) as Promise<SignatureResult[]>;
  }

  /** Compact JWEs (ECDH-ES+A256KW, A256GCM) of `plaintexts`, in order, all to `recipient` (a P-256 point). */
  encryptJwes(recipient: Uint8Array, plaintexts: Uint8Array[], contentType: string): Promise<string[]> {
    return this.#run({ kind: 'jwe', recipient, plaintexts, contentType }) as Promise<string[]>;
  }

  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }

  async #run(request: CryptoRequest): Promise<SignatureResult[] | string[]> {
    return this.#pool ? this.#pool.run(request) : perform(request);
  }
}
