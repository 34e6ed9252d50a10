/**
 * Domus's key pair and certificate as a SAML service provider (docs/entitlement-api.md, "SAML
 * MVPDs"): an RSA-2048 key that signs its AuthnRequests and LogoutRequests, and a self-signed
 * certificate that carries the public key in the SP metadata. Created once, on first use, into the
 * key store (the private key sealed under the master key, shared by every process, like every other
 * server key); the first process to store it wins and every other one reads it back.
 *
 * The certificate is a key carrier only (SAML metadata trust is the metadata itself), so it is
 * self-signed and long-lived. Replacing the key (delete the `saml-sp` server key) means every IdP
 * must load Domus's metadata again.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { KeyStore } from '../../../platform/keys/key-store.js';
import { newRsaKeyPair } from './rsa-key-pair.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const KEY_NAME = 'saml-sp';
const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const VALIDITY_YEARS = 20;

export interface SpCredentials {
  /** The certificate, PEM: published in the SP metadata. */
  certificatePem: string;
  /** The private key, PKCS#8 PEM: signs Domus's requests. Never logged, never answered. */
  privateKeyPem: string;
}

export class SpCredentialSource {
  #loading: Promise<SpCredentials> | undefined;

  constructor(private readonly keys: KeyStore) {}

  /** The credentials, created into the key store on first use; loaded once per process. */
  load(): Promise<SpCredentials> {
    if (!this.#loading) {
      const loading = this.#load();
      this.#loading = loading;
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = undefined;
      });
    }
    return this.#loading;
  }

  async #load(): Promise<SpCredentials> {
    const stored = await this.keys.loadOrCreate<{ certificatePem: string }>(KEY_NAME, createCredentials);
    return {
      certificatePem: stored.publicData.certificatePem,
      privateKeyPem: stored.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
  }
}

async function createCredentials(): Promise<{ publicData: { certificatePem: string }; privatePkcs8: Buffer }> {
  const pair = await newRsaKeyPair();
  const keys = {
    privateKey: (await webcrypto.subtle.importKey('pkcs8', pair.privatePkcs8, RSA_SHA256, false, [
      'sign',
    ])) as CryptoKey,
    publicKey: (await webcrypto.subtle.importKey('spki', pair.publicSpki, RSA_SHA256, true, ['verify'])) as CryptoKey,
  };
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + VALIDITY_YEARS);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: ['Domus SAML service provider'] }, { O: ['Domus'] }],
    notBefore,
    notAfter,
    signingAlgorithm: RSA_SHA256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  return { publicData: { certificatePem: certificate.toString('pem') }, privatePkcs8: pair.privatePkcs8 };
}
