/**
 * The public-key work of requests, off the event loop: on `size` worker threads, or in the
 * event loop itself when `size` is 0. Both run the same code (`perform`), so answers do not
 * depend on where they were made. One message per step keeps thread hand-offs few.
 *
 * Signing keys travel as PKCS#8 with an id; each thread imports a key once and keeps it by id.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { WorkerPool } from '../workers/worker-pool.js';
import { type DecodedJws, es256Signature, importP256PublicJwk, verifyEs256 } from './es256.js';
import { jweEncrypterFor } from './jwe.js';

/** The worker module beside this one, with this module's own extension: `.js` compiled, `.ts` from source. */
const WORKER_ENTRY = new URL(
  `./crypto-worker${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
  import.meta.url,
);

/** A public key, or a public EC P-256 JWK still to be imported (and checked) by the worker. */
export type VerificationKey = KeyObject | { kty: 'EC'; crv: 'P-256'; x: string; y: string };

/** An ES256 signature to check against candidate keys: it holds when any of them verifies it. */
export interface SignatureCheck {
  jws: Pick<DecodedJws, 'header' | 'signingInput' | 'signature'>;
  keys: VerificationKey[];
}

/** `bad-key`: no candidate key could be imported as a P-256 public key. */
export type SignatureResult = 'valid' | 'invalid' | 'bad-key';

/** An EC P-256 private key as the threads take it: a stable id (e.g. its JWK thumbprint) and its PKCS#8 DER. */
export interface SigningKey {
  id: string;
  pkcs8: Uint8Array;
}

type CryptoRequest =
  | { kind: 'verify'; checks: SignatureCheck[] }
  | { kind: 'jwe'; recipient: Uint8Array; plaintexts: Uint8Array[]; contentType: string }
  | { kind: 'sign'; key: SigningKey; inputs: string[] };

export function perform(request: CryptoRequest): SignatureResult[] | string[] {
  if (request.kind === 'verify') return request.checks.map(check);
  if (request.kind === 'sign') {
    const key = imported(request.key);
    return request.inputs.map((input) => es256Signature(input, key));
  }
  const encrypter = jweEncrypterFor(request.recipient);
  return request.plaintexts.map((plaintext) => encrypter.encrypt(plaintext, request.contentType));
}

/** Signing keys this thread has imported, by id (a deployment has a handful). */
const signingKeys = new Map<string, { pkcs8: Buffer; key: KeyObject }>();
const MAX_SIGNING_KEYS = 64;

function imported({ id, pkcs8 }: SigningKey): KeyObject {
  const known = signingKeys.get(id);
  if (known?.pkcs8.equals(pkcs8)) return known.key;
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
  signingKeys.set(id, { pkcs8: Buffer.from(pkcs8), key });
  return key;
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
    this.#pool = size > 0 ? new WorkerPool(WORKER_ENTRY, size) : undefined;
  }

  /** The result of each check, in order. */
  verifyEs256(checks: SignatureCheck[]): Promise<SignatureResult[]> {
    return this.#run({ kind: 'verify', checks }) as Promise<SignatureResult[]>;
  }

  /** The ES256 signature (base64url) of each signing input, in order. */
  signEs256(key: SigningKey, inputs: string[]): Promise<string[]> {
    return this.#run({ kind: 'sign', key, inputs }) as Promise<string[]>;
  }

  /** Compact JWEs (ECDH-ES+A256KW, A256GCM) of `plaintexts`, in order, all to `recipient` (a P-256 point). */
  encryptJwes(recipient: Uint8Array, plaintexts: Uint8Array[], contentType: string): Promise<string[]> {
    return this.#run({ kind: 'jwe', recipient, plaintexts, contentType }) as Promise<string[]>;
  }

  /** Requests waiting for or running in a worker (0 without workers: the work runs inline). */
  queueDepth(): number {
    return this.#pool?.queueDepth() ?? 0;
  }

  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }

  async #run(request: CryptoRequest): Promise<SignatureResult[] | string[]> {
    return this.#pool ? this.#pool.run(request) : perform(request);
  }
}
