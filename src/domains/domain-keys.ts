/**
 * Domain key material: key pairs per version (sealed at rest), their certificates (issued once
 * per key version and validity window, shared by every member), and the credentials of a join
 * answer (each private key encrypted to the joining machine).
 */
import type { CryptoWorkers } from '../platform/crypto/crypto-workers.js';
import { newP256KeyPair } from '../platform/crypto/p256.js';
import type { Sealer } from '../platform/crypto/sealing.js';
import type { DomainCa } from './domain-ca.js';
import type { DomainRecord, KeyRecord } from './records.js';

export interface Credential {
  keyVersion: number;
  certificate: string;
  privateKey: string;
  notAfter: string;
}

export type CertifiedKey = KeyRecord & { certificate: Buffer; certificateNotBefore: number };

/** A new certificate is issued for each tenth of the credential lifetime. */
const WINDOWS_PER_LIFETIME = 10;

export class DomainKeys {
  readonly #windowMs: number;

  constructor(
    private readonly ca: DomainCa,
    private readonly sealer: Sealer,
    private readonly lifetimeSeconds: number,
    private readonly crypto: CryptoWorkers,
  ) {
    this.#windowMs = Math.floor((lifetimeSeconds * 1000) / WINDOWS_PER_LIFETIME);
  }

  /** Generates key version `version` of a domain, its private key sealed under the master key. */
  generate(domainId: number, version: number, now: number): KeyRecord {
    const pair = newP256KeyPair();
    return {
      version,
      publicKeySpki: pair.publicKey.export({ format: 'der', type: 'spki' }),
      sealedPrivate: this.sealer.seal(
        pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
        label(domainId, version),
      ),
      certificate: null,
      certificateNotBefore: null,
      createdAt: now,
    };
  }

  /** Start of the certificate validity window that `now` falls in. */
  windowStart(now: number): number {
    return now - (now % this.#windowMs);
  }

  /** True when the key's cached certificate belongs to an earlier window (or there is none). */
  isStale(key: KeyRecord, now: number): boolean {
    return key.certificate === null || key.certificateNotBefore !== this.windowStart(now);
  }

  /** Issues the key's certificate for the current window. */
  async certify(domain: DomainRecord, serverUrl: string, key: KeyRecord, now: number): Promise<CertifiedKey> {
    const notBefore = this.windowStart(now);
    const certificate = await this.ca.issue({
      domainName: domain.name,
      mode: domain.mode,
      serverUrl,
      keyVersion: key.version,
      publicKeySpki: key.publicKeySpki,
      notBefore: new Date(notBefore),
      notAfter: new Date(notBefore + this.lifetimeSeconds * 1000),
    });
    return { ...key, certificate, certificateNotBefore: notBefore };
  }

  /**
   * One credential per key version, each private key encrypted to the machine's key (given as
   * its uncompressed point). The key wrapping runs on the crypto workers.
   */
  async credentials(domainId: number, keys: KeyRecord[], machinePoint: Uint8Array): Promise<Credential[]> {
    const plaintexts = keys.map((key) => this.sealer.open(key.sealedPrivate, label(domainId, key.version)));
    const encrypted = await this.crypto.encryptJwes(machinePoint, plaintexts, 'pkcs8');
    return keys.map((key, i) => {
      if (!key.certificate || key.certificateNotBefore === null) throw new Error('key has no certificate');
      return {
        keyVersion: key.version,
        certificate: key.certificate.toString('base64'),
        privateKey: encrypted[i] as string,
        notAfter: new Date(key.certificateNotBefore + this.lifetimeSeconds * 1000).toISOString(),
      };
    });
  }
}

const label = (domainId: number, version: number) => `domain-key:${domainId}:${version}`;
