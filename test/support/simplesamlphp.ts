/**
 * A real SAML 2.0 identity provider for tests: Debian's SimpleSAMLphp (package `simplesamlphp`,
 * with `php-cli`), served by PHP's built-in web server from a throw-away directory on a free
 * loopback port.
 *
 * The directory holds everything SimpleSAMLphp reads (SIMPLESAMLPHP_CONFIG_DIR points at it):
 * config.php, authsources.php with an `exampleauth:UserPass` source of the given users and their
 * attributes, metadata/saml20-idp-hosted.php (a fresh RSA key and self-signed certificate; signed
 * assertions, responses and logout messages; signatures of AuthnRequests and logout messages
 * checked) and the trusted service providers as SAML metadata XML files (`trustServiceProvider`,
 * e.g. the metadata Domus serves), read on every request, so they can be added while it runs.
 *
 * `SIMPLESAMLPHP_DIR` overrides where SimpleSAMLphp is installed (default /usr/share/simplesamlphp).
 */
import 'reflect-metadata';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const INSTALL_DIR = process.env.SIMPLESAMLPHP_DIR ?? '/usr/share/simplesamlphp';

export interface IdpUser {
  user: string;
  password: string;
  /** SAML attributes: name → one value or a list. */
  attributes: Record<string, string | string[]>;
}

export interface SimpleSamlIdp {
  /** Where it listens, e.g. http://127.0.0.1:43127 (no trailing slash). */
  url: string;
  entityId: string;
  /** SingleSignOnService, HTTP-Redirect binding. */
  ssoUrl: string;
  /** SingleLogoutService, HTTP-Redirect binding. */
  sloUrl: string;
  /** The signing certificate (PEM), for the MVPD's configuration. */
  certificatePem: string;
  /** The signing key (PKCS#8 PEM): tests sign altered responses with it. */
  privateKeyPem: string;
  /** Trusts a service provider: its SAML metadata XML (an EntityDescriptor). */
  trustServiceProvider(metadataXml: string): void;
  /** What the IdP wrote to its log and standard error (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * A skip reason for node:test when SimpleSAMLphp cannot run here, or false. `.ci/run` installs
 * it; elsewhere the tests skip with this reason when it is missing, except under CI, where a
 * missing IdP is a failure.
 */
export function simpleSamlSkipReason(): string | false {
  const installed =
    fs.existsSync(path.join(INSTALL_DIR, 'www', 'saml2', 'idp', 'SSOService.php')) &&
    spawnSync('php', ['-r', 'exit(class_exists("DOMDocument") ? 0 : 1);'], { stdio: 'ignore' }).status === 0;
  if (installed || process.env.CI) return false;
  return 'needs SimpleSAMLphp (apt-get install simplesamlphp php-cli php-xml php-mbstring)';
}

export async function startSimpleSamlIdp(users: IdpUser[]): Promise<SimpleSamlIdp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-ssp-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entityId = `${url}/saml2/idp/metadata.php`;
  const { certificatePem, privateKeyPem } = await selfSignedRsa('Domus test IdP');

  for (const sub of ['metadata', 'cert', 'sp-metadata', 'sessions', 'tmp', 'log', 'data']) {
    fs.mkdirSync(path.join(dir, sub));
  }
  fs.writeFileSync(path.join(dir, 'cert', 'idp.crt'), certificatePem);
  fs.writeFileSync(path.join(dir, 'cert', 'idp.key'), privateKeyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'config.php'), configPhp(dir, url));
  fs.writeFileSync(path.join(dir, 'authsources.php'), authsourcesPhp(users));
  fs.writeFileSync(path.join(dir, 'metadata', 'saml20-idp-hosted.php'), idpHostedPhp(entityId));

  const output: string[] = [];
  const child: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', path.join(INSTALL_DIR, 'www')], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spCount = 0;

  const idp: SimpleSamlIdp = {
    url,
    entityId,
    ssoUrl: `${url}/saml2/idp/SSOService.php`,
    sloUrl: `${url}/saml2/idp/SingleLogoutService.php`,
    certificatePem,
    privateKeyPem,
    trustServiceProvider(metadataXml) {
      spCount += 1;
      fs.writeFileSync(path.join(dir, 'sp-metadata', `sp-${spCount}.xml`), metadataXml);
    },
    log() {
      const file = path.join(dir, 'log', 'simplesamlphp.log');
      return `${output.join('')}\n${fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''}`;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilServing(`${entityId}`, child);
  } catch (error) {
    const log = idp.log();
    await idp.stop();
    throw new Error(`SimpleSAMLphp did not start: ${(error as Error).message}\n${log}`);
  }
  return idp;
}

function php(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(php).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `[${Object.entries(value)
      .map(([key, item]) => `${php(key)} => ${php(item)}`)
      .join(', ')}]`;
  }
  return 'null';
}

function configPhp(dir: string, url: string): string {
  const config = {
    baseurlpath: `${url}/`,
    certdir: path.join(dir, 'cert'),
    loggingdir: path.join(dir, 'log'),
    datadir: path.join(dir, 'data'),
    tempdir: path.join(dir, 'tmp'),
    metadatadir: path.join(dir, 'metadata'),
    technicalcontact_name: 'Domus tests',
    technicalcontact_email: 'tests@domus.invalid',
    timezone: 'UTC',
    secretsalt: randomBytes(24).toString('hex'),
    'auth.adminpassword': randomBytes(24).toString('hex'),
    'admin.protectindexpage': true,
    'admin.protectmetadata': false,
    'admin.checkforupdates': false,
    'trusted.url.domains': ['127.0.0.1', 'localhost'],
    showerrors: true,
    errorreporting: false,
    'logging.level': 7,
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'statistics.out': [],
    'enable.saml20-idp': true,
    'enable.shib13-idp': false,
    'module.enable': { exampleauth: true, core: true, saml: true, admin: false },
    'store.type': 'phpsession',
    'session.cookie.secure': false,
    'session.cookie.samesite': null,
    'session.phpsession.savepath': path.join(dir, 'sessions'),
    'language.cookie.secure': false,
    'assertion.allowed_clock_skew': 60,
  };
  const entries = Object.entries(config)
    .map(([key, value]) => `  ${php(key)} => ${php(value)},`)
    .join('\n');
  const spMetadata = php(path.join(dir, 'sp-metadata'));
  return `<?php
$config = [
${entries}
  'metadata.sources' => array_merge(
    [['type' => 'flatfile']],
    array_map(fn ($file) => ['type' => 'xml', 'file' => $file], glob(${spMetadata} . '/*.xml') ?: []),
  ),
];
`;
}

function authsourcesPhp(users: IdpUser[]): string {
  const accounts = Object.fromEntries(
    users.map((user) => [
      `${user.user}:${user.password}`,
      Object.fromEntries(
        Object.entries(user.attributes).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
      ),
    ]),
  );
  return `<?php
$config = ${php({ admin: ['core:AdminPassword'], 'domus-users': { 0: 'exampleauth:UserPass', ...accounts } })};
`;
}

function idpHostedPhp(entityId: string): string {
  const metadata = {
    host: '__DEFAULT__',
    privatekey: 'idp.key',
    certificate: 'idp.crt',
    auth: 'domus-users',
    NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    'attributes.NameFormat': 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'signature.algorithm': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.assertion': true,
    'saml20.sign.response': true,
    'sign.logout': true,
    'redirect.sign': true,
    'redirect.validate': true,
    'validate.authnrequest': true,
    'validate.logout': true,
    SingleLogoutServiceBinding: ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'],
  };
  return `<?php
$metadata[${php(entityId)}] = ${php(metadata)};
`;
}

/** An RSA-2048 key and a self-signed certificate (as the IdP's own). */
export async function selfSignedRsa(commonName: string): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
  const der = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const keys = {
    privateKey: (await webcrypto.subtle.importKey('pkcs8', der.privateKey, algorithm, true, ['sign'])) as CryptoKey,
    publicKey: (await webcrypto.subtle.importKey('spki', der.publicKey, algorithm, true, ['verify'])) as CryptoKey,
  };
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^./, '1'),
    name: [{ CN: [commonName] }],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
  });
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${der.privateKey
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
  return { certificatePem: certificate.toString('pem'), privateKeyPem };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`php exited with ${child.exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const body = await response.text();
      if (response.status === 200 && body.includes('<md:EntityDescriptor')) return;
      last = `HTTP ${response.status}: ${body.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(last);
}
