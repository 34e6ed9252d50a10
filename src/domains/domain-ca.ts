/**
 * The Domain CA (docs/domain-protocol.md §10): signs every domain certificate; license servers
 * trust its certificate, served at /flashaccess/domain-ca.pem. EC P-256 with CA extensions, created
 * on first start into the key store, or loaded from configured PEM files.
 *
 * A domain certificate says everything a license server needs without asking us:
 * subject CN = domain name; subjectAltName URIs = the domain server URL,
 * `urn:domus:key-version:<n>` and `urn:domus:mode:<anonymous|identity>`.
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import * as x509 from '@peculiar/x509';
import type { KeyStore } from '../platform/keys/key-store.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CA_VALIDITY_YEARS = 20;
export const KEY_VERSION_URN = 'urn:domus:key-version:';
export const MODE_URN = 'urn:domus:mode:';

export interface DomainCertificateRequest {
  domainName: string;
  mode: 'anonymous' | 'identity';
  serverUrl: string;
  keyVersion: number;
  /** SubjectPublicKeyInfo DER of the domain key. */
  publicKeySpki: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export class DomainCa {
  private constructor(
    readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  get pem(): string {
    return `${this.certificate.toString('pem')}\n`;
  }

  /** Loads the CA from files when both are configured, otherwise from (or into) the key store. */
  static async load(keys: KeyStore, files: { certFile?: string; keyFile?: string }): Promise<DomainCa> {
    if (files.certFile && files.keyFile) {
      const certificate = new x509.X509Certificate(fs.readFileSync(files.certFile, 'utf8'));
      const pkcs8 = createPrivateKey(fs.readFileSync(files.keyFile, 'utf8')).export({ format: 'der', type: 'pkcs8' });
      return DomainCa.#fromParts(certificate, pkcs8);
    }
    const stored = await keys.loadOrCreate<{ certificatePem: string }>('domain-ca', createCa);
    const pkcs8 = stored.privateKey.export({ format: 'der', type: 'pkcs8' });
    return DomainCa.#fromParts(new x509.X509Certificate(stored.publicData.certificatePem), pkcs8);
  }

  static async #fromParts(certificate: x509.X509Certificate, pkcs8: Buffer): Promise<DomainCa> {
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign']);
    const publicDer = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({
      format: 'der',
      type: 'spki',
    });
    if (!Buffer.from(certificate.publicKey.rawData).equals(publicDer)) {
      throw new Error('the Domain CA certificate does not hold the public key of the Domain CA private key');
    }
    return new DomainCa(certificate, signingKey as CryptoKey);
  }

  /** Issues the certificate of one domain key version for one validity window. */
  async issue(request: DomainCertificateRequest): Promise<Buffer> {
    const publicKey = await webcrypto.subtle.importKey('spki', request.publicKeySpki, EC_P256, true, ['verify']);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: [{ CN: [request.domainName] }],
      issuer: this.certificate.subjectName,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      signingAlgorithm: SIGNING,
      publicKey: publicKey as CryptoKey,
      signingKey: this.signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.digitalSignature, true),
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: request.serverUrl },
          { type: 'url', value: `${KEY_VERSION_URN}${request.keyVersion}` },
          { type: 'url', value: `${MODE_URN}${request.mode}` },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });
    return Buffer.from(certificate.rawData);
  }
}

async function createCa(): Promise<{ publicData: { certificatePem: string }; privatePkcs8: Buffer }> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + CA_VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: ['Domus Domain CA'] }, { O: ['Domus'] }],
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const privatePkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { publicData: { certificatePem: certificate.toString('pem') }, privatePkcs8 };
}

/** A positive 128-bit serial number, hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
