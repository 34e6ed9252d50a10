/**
 * Starting and stopping the server: migrations policy, generated secrets, master-key checks,
 * a Domain CA from files, request ids, secret-free logs and a clean shutdown.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import pino from 'pino';
import { createDomus, PendingMigrationsError } from '../src/app.js';
import { loadConfig } from '../src/platform/config.js';
import { SealError } from '../src/platform/crypto/sealing.js';
import { createSqlite, type TestDatabase } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl } from './support/machines.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'domus-start-'));
const baseEnv = (database: TestDatabase, dataDir: string) => ({
  DOMUS_DATABASE_URL: database.url,
  DOMUS_DATA_DIR: dataDir,
  DOMUS_PORT: '0',
  DOMUS_LOG_LEVEL: 'silent',
});

describe('startup', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createSqlite();
  });
  after(() => database.drop());

  it('refuses to start with pending migrations when told not to migrate', async () => {
    const fresh = await createSqlite();
    await assert.rejects(
      createDomus(loadConfig({ ...baseEnv(fresh, tempDir()), DOMUS_AUTO_MIGRATE: 'false' })),
      PendingMigrationsError,
    );
    await fresh.drop();
  });

  it('generates the master key and admin token with owner-only permissions, once', async () => {
    const dataDir = tempDir();
    const first = await createDomus(loadConfig(baseEnv(database, dataDir)));
    assert.ok(first.secrets.generated.masterKeyFile);
    assert.ok(first.secrets.generated.adminTokenFile);
    await first.close();
    for (const file of ['master.key', 'admin-token']) {
      assert.equal(fs.statSync(path.join(dataDir, file)).mode & 0o777, 0o600, file);
    }
    const second = await createDomus(loadConfig(baseEnv(database, dataDir)));
    assert.deepEqual(second.secrets.generated, {});
    assert.equal(second.secrets.adminToken, first.secrets.adminToken);
    await second.close();
  });

  it('refuses a master key other than the one that sealed the database', async () => {
    await assert.rejects(
      createDomus(
        loadConfig({ ...baseEnv(database, tempDir()), DOMUS_MASTER_KEY: randomBytes(32).toString('base64') }),
      ),
      SealError,
    );
  });

  it('serves a Domain CA loaded from files, and refuses a key that does not fit the certificate', async () => {
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const makeCa = async () => {
      const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
      const certificate = await x509.X509CertificateGenerator.createSelfSigned({
        name: 'CN=Operator Domain CA',
        keys,
        signingAlgorithm: algorithm,
        extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
      });
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
      return {
        pem: certificate.toString('pem'),
        key: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`,
      };
    };
    const ca = await makeCa();
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'ca.pem'), ca.pem);
    fs.writeFileSync(path.join(dir, 'ca.key'), ca.key);
    fs.writeFileSync(path.join(dir, 'other.key'), (await makeCa()).key);
    const fresh = await createSqlite();
    const dataDir = tempDir();
    const domus = await createDomus(
      loadConfig({
        ...baseEnv(fresh, dataDir),
        DOMUS_DOMAIN_CA_CERT_FILE: path.join(dir, 'ca.pem'),
        DOMUS_DOMAIN_CA_KEY_FILE: path.join(dir, 'ca.key'),
      }),
    );
    const url = await domus.listen();
    const served = await (await fetch(`${url}/flashaccess/domain-ca.pem`)).text();
    assert.equal(new x509.X509Certificate(served).subject, 'CN=Operator Domain CA');
    await domus.close();
    await assert.rejects(
      createDomus(
        loadConfig({
          ...baseEnv(fresh, dataDir),
          DOMUS_DOMAIN_CA_CERT_FILE: path.join(dir, 'ca.pem'),
          DOMUS_DOMAIN_CA_KEY_FILE: path.join(dir, 'other.key'),
        }),
      ),
      /does not hold the public key/,
    );
    await fresh.drop();
  });

  it('answers a request id, and logs one line per request without secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const fresh = await createSqlite();
    const config = loadConfig({ ...baseEnv(fresh, tempDir()), DOMUS_LOG_LEVEL: 'info' });
    const domus = await createDomus(config, pino({ level: 'info' }, sink));
    const url = await domus.listen();

    const echoed = await fetch(`${url}/flashaccess/getServerVersion/v3`, { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-123');
    const generated = await fetch(`${url}/flashaccess/getServerVersion/v3`, { headers: { 'x-request-id': 'bad id!' } });
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

    const machine = await individualize(url);
    const token = await domus.localIssuer.mint({ subject: 'alice', namespace: 'ns', ttlSeconds: 60 });
    const joined = await post(protocolUrl(url, 'join', {}), domainRequest(machine, { at: token }));
    assert.equal(joined.status, 200);
    await fetch(`${url}/admin/v1/domains`, { headers: { authorization: `Bearer ${domus.secrets.adminToken}` } });
    await domus.close();

    const log = lines.join('');
    assert.match(log, /"requestId":"trace-123"/);
    assert.match(log, /"url":"\/flashaccess\/domain\/v4","status":200/);
    for (const secret of [
      domus.secrets.adminToken,
      domus.secrets.masterKey.toString('base64'),
      token,
      machine.machineToken,
      joined.body.credentials[0].privateKey,
    ]) {
      assert.equal(log.includes(secret), false, 'a secret reached the log');
    }
    await fresh.drop();
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const fresh = await createSqlite();
    const child = spawn(process.execPath, ['bin/domus.js', 'serve'], {
      env: { ...process.env, ...baseEnv(fresh, tempDir()), DOMUS_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
          if (output.includes('Domus is serving')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      await fresh.drop();
    }
  });
});
