/**
 * The bundled device client (docs/domain-protocol.md §12), as a library and as `domus device …`,
 * against a real server on every test database.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPublicKey, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { CredentialError, DeviceClient, DomainServerError } from '../src/device/device-client.js';
import { simulatedComponents } from '../src/device/hardware.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { runDomus, stopAllChildren } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A refusal with this protocol error. */
const refusal = (status: number, code: number, errorName: string) => (error: unknown) => {
  assert.ok(error instanceof DomainServerError, String(error));
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  assert.equal(error.errorName, errorName);
  assert.match(error.message, new RegExp(errorName));
  return true;
};

/** A self-signed CA certificate under the same name as `real`, with a key of its own. */
async function impostorCa(real: x509.X509Certificate): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: real.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return certificate.toString('pem');
}

interface Protocol3Proxy {
  url: string;
  /** Where requests go; set once the server behind it listens. */
  target: string;
  /** What getServerVersion answers: protocol 3 only, or nothing at all (404). */
  version: 'protocol 3' | 'none';
  /** `METHOD path` of every request it was sent. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * A thin HTTP proxy in front of a real Domus that makes it an older server: getServerVersion
 * names protocol 3 only (or is not there), and every v4 path answers 404.
 */
async function protocol3Proxy(): Promise<Protocol3Proxy> {
  const proxy: Protocol3Proxy = { url: '', target: '', version: 'protocol 3', seen: [], close: async () => {} };
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const pathname = new URL(request.url ?? '/', 'http://proxy').pathname;
    proxy.seen.push(`${request.method} ${pathname}`);
    if (pathname.endsWith('/flashaccess/getServerVersion/v3') && proxy.version === 'protocol 3') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ protocolVersions: [3], server: 'Older/3' }));
    }
    if (pathname.endsWith('/v4') || pathname.endsWith('/flashaccess/getServerVersion/v3')) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      return response.end('not found');
    }
    const headers = Object.entries(request.headers).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
    );
    const answer = await fetch(`${proxy.target}${request.url}`, {
      method: request.method,
      headers: Object.fromEntries(headers),
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}

/** The certificate's SubjectPublicKeyInfo, DER. */
const certificateKey = (base64Der: string) =>
  Buffer.from(new x509.X509Certificate(Buffer.from(base64Der, 'base64')).publicKey.rawData);

for (const kind of testDatabases()) {
  describe(`device client on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    const dirs: string[] = [];
    const deviceDir = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-device-'));
      dirs.push(dir);
      return dir;
    };
    const anonymousUrl = (name: string) => `${server.url}/flashaccess/domainserver/${name}`;
    const newDevice = async (seed: string) => {
      const client = new DeviceClient(deviceDir(), { components: simulatedComponents(seed) });
      await client.individualize(server.url);
      return client;
    };

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_THROTTLE: 'off' });
    });
    after(async () => {
      await stopAllChildren();
      await server?.close();
      await db?.drop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('individualizes: machine key, machine token and the trusted Domain CA in the device directory', async () => {
      const dir = deviceDir();
      const client = new DeviceClient(dir, { components: simulatedComponents('kitchen-tablet') });
      assert.equal(client.status().individualized, false);
      const { guid } = await client.individualize(`${server.url}/`);
      assert.match(guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.deepEqual(client.status(), {
        individualized: true,
        guid,
        rootUrl: server.url,
        domains: [],
        licenses: 0,
      });
      assert.deepEqual(client.store.readMachine()?.components, simulatedComponents('kitchen-tablet'));
      const ca = await (await fetch(`${server.url}/flashaccess/domain-ca.pem`)).text();
      assert.equal(client.store.readDomainCa(), ca);
      assert.equal(fs.statSync(path.join(dir, 'machine-key.json')).mode & 0o777, 0o600);
      // Without individualizing, a device cannot ask anything.
      const blank = new DeviceClient(deviceDir());
      await assert.rejects(blank.join(anonymousUrl('anywhere')), /not individualized/);
    });

    it('joins, stores licenses, leaves: only that domain’s credentials and licenses go, and the server forgets the member', async () => {
      const client = await newDevice('living-room-tv');
      const living = anonymousUrl('living-room');
      const grandma = anonymousUrl('grandma');
      const guid = client.status().guid as string;

      const joined = await client.join(`${living}/`);
      assert.equal(joined.name, 'living-room');
      assert.equal(joined.mode, 'anonymous');
      assert.equal(joined.serverUrl, living);
      assert.deepEqual(
        joined.credentials.map((c) => c.keyVersion),
        [1],
      );
      await client.join(grandma);
      client.storeLicense({ id: 'movie-1', domainServerUrl: living, domainName: 'living-room', keyVersion: 1 });
      client.storeLicense({ id: 'movie-2', domainServerUrl: living, domainName: 'living-room', keyVersion: 1 });
      client.storeLicense({ id: 'series-1', domainServerUrl: grandma, domainName: 'grandma', keyVersion: 1 });
      assert.throws(() =>
        client.storeLicense({
          id: 'x',
          domainServerUrl: anonymousUrl('elsewhere'),
          domainName: 'elsewhere',
          keyVersion: 1,
        }),
      );
      assert.throws(() =>
        client.storeLicense({ id: 'y', domainServerUrl: living, domainName: 'grandma', keyVersion: 1 }),
      );
      assert.equal(client.status().licenses, 3);
      const membersBefore = await server.admin('GET', '/domains/anonymous/living-room/members');
      assert.deepEqual(
        membersBefore.body.items.map((m: { guid: string }) => m.guid),
        [guid],
      );

      const left = await client.leave(living);
      assert.deepEqual(left, { domain: 'living-room', machineReleased: true, licensesDeleted: 2 });
      assert.equal(client.store.domain(living), undefined);
      assert.equal(client.store.domain(grandma)?.name, 'grandma');
      assert.deepEqual(
        client.store.licenses().map((l) => l.id),
        ['series-1'],
      );
      assert.deepEqual(
        client.status().domains.map((d) => d.name),
        ['grandma'],
      );
      await assert.rejects(client.domainPrivateKey(living, 1), /no credential/);

      const details = await server.admin('GET', '/domains/anonymous/living-room');
      assert.equal(details.body.members, 0);
      assert.equal(details.body.keyRolloverRequired, true);
      assert.deepEqual((await server.admin('GET', '/domains/anonymous/living-room/members')).body.items, []);
      assert.equal((await server.admin('GET', '/domains/anonymous/grandma')).body.members, 1);

      // Not a member any more: the server refuses, and nothing local changes.
      await assert.rejects(client.leave(living), refusal(403, 401, 'DEREG_DENIED'));
      assert.equal(client.store.domain(grandma)?.name, 'grandma');
      assert.equal(client.store.licenses().length, 1);

      // Re-join after the leave's rollover: both key versions, each private key decrypts and fits its certificate.
      const rejoined = await client.join(living);
      assert.deepEqual(
        rejoined.credentials.map((c) => c.keyVersion),
        [1, 2],
      );
      const keys = [];
      for (const credential of rejoined.credentials) {
        const privateKey = await client.domainPrivateKey(living, credential.keyVersion);
        assert.equal(privateKey.type, 'private');
        assert.equal(privateKey.asymmetricKeyType, 'ec');
        assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
        const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
        assert.deepEqual(spki, certificateKey(credential.certificate));
        keys.push(spki.toString('base64'));
      }
      assert.notEqual(keys[0], keys[1]);
      await assert.rejects(client.domainPrivateKey(living, 3), /no credential of key version 3/);
    });

    it('refuses credentials that do not come from the Domain CA it trusts', async () => {
      const client = await newDevice('suspicious-box');
      const genuine = client.store.readDomainCa() as string;
      client.store.writeDomainCa(await impostorCa(new x509.X509Certificate(genuine)));
      const url = anonymousUrl('guarded');
      await assert.rejects(client.join(url), (error: unknown) => {
        assert.ok(error instanceof CredentialError, String(error));
        assert.match(error.message, /not valid under the Domain CA/);
        return true;
      });
      assert.equal(client.store.domain(url), undefined);
      assert.deepEqual(client.status().domains, []);

      // With the genuine CA back, the same join is accepted.
      client.store.writeDomainCa(genuine);
      assert.equal((await client.join(url)).name, 'guarded');
    });

    it('joins and leaves an identity domain with a minted auth token; DomainServerError carries each refusal', async () => {
      const client = await newDevice('erins-laptop');
      await assert.rejects(client.join(server.url), refusal(401, 503, 'DOM_AUTHENTICATION_REQUIRED'));
      await assert.rejects(client.join(server.url, 'not.a.token'), refusal(401, 110, 'REQ_AUTH_TOKEN_INVALID_EXPIRED'));

      const token = await server.domus.localIssuer.mint({ subject: 'erin', namespace: 'DemoCable', ttlSeconds: 600 });
      const joined = await client.join(server.url, token);
      assert.equal(joined.name, 'DemoCable:erin');
      assert.equal(joined.mode, 'identity');
      assert.equal(joined.serverUrl, server.url);
      assert.deepEqual(
        joined.credentials.map((c) => c.keyVersion),
        [1],
      );

      const put = await server.admin('PUT', `/domains/identity/${encodeURIComponent('DemoCable:erin')}`, {
        maxMembership: 1,
      });
      assert.equal(put.status, 200);
      const second = await newDevice('erins-phone');
      await assert.rejects(second.join(server.url, token), refusal(403, 502, 'DOM_LIMIT_REACHED'));
      assert.deepEqual(second.status().domains, []);

      const left = await client.leave(server.url, token);
      assert.deepEqual(left, { domain: 'DemoCable:erin', machineReleased: true, licensesDeleted: 0 });
      assert.equal((await second.join(server.url, token)).name, 'DemoCable:erin');
    });

    it('issue 9: joins on /domain/v3 and leaves on /dereg/v3 when the server speaks only protocol 3', async () => {
      // A real Domus behind the proxy, naming the proxy as its public URL (credentials name it).
      const proxy = await protocol3Proxy();
      const olderDb = await kind.create();
      const older = await startTestServer(olderDb, { DOMUS_THROTTLE: 'off', DOMUS_PUBLIC_URL: proxy.url });
      // Its own address, not the public URL it names (which is the proxy's).
      proxy.target = `http://127.0.0.1:${(older.domus.http.server.address() as { port: number }).port}`;
      try {
        const device = new DeviceClient(deviceDir(), { components: simulatedComponents('old-set-top-box') });
        await device.individualize(proxy.url);
        const base = `${proxy.url}/flashaccess/domainserver/old-room`;
        const token = await older.domus.localIssuer.mint({ subject: 'olga', namespace: 'tve', ttlSeconds: 600 });
        for (const version of ['protocol 3', 'none'] as const) {
          proxy.version = version;
          proxy.seen.length = 0;
          assert.equal((await device.join(base)).name, 'old-room');
          assert.equal((await device.join(base)).name, 'old-room', 're-join with dn');
          assert.equal((await device.join(proxy.url, token)).name, 'tve:olga');
          const members = await older.admin('GET', '/domains/anonymous/old-room/members');
          assert.deepEqual(
            members.body.items.map((m: { guid: string }) => m.guid),
            [device.status().guid],
          );
          assert.deepEqual(await device.leave(base), { domain: 'old-room', machineReleased: true, licensesDeleted: 0 });
          assert.equal((await device.leave(proxy.url, token)).machineReleased, true);
          assert.deepEqual(device.status().domains, []);
          assert.deepEqual(
            proxy.seen.filter((line) => line.startsWith('POST /flashaccess/d')),
            [
              'POST /flashaccess/domainserver/old-room/flashaccess/domain/v3',
              'POST /flashaccess/domainserver/old-room/flashaccess/domain/v3',
              'POST /flashaccess/domain/v3',
              'POST /flashaccess/domainserver/old-room/flashaccess/dereg/v3',
              'POST /flashaccess/domainserver/old-room/flashaccess/dereg/v3',
              'POST /flashaccess/dereg/v3',
              'POST /flashaccess/dereg/v3',
            ],
            version,
          );
          assert.equal((await older.admin('GET', '/domains/anonymous/old-room')).body.members, 0);
        }
      } finally {
        await older.close();
        await proxy.close();
        await olderDb.drop();
      }
    });

    it('the domus device command line: individualize, join, store a license, status, leave', async () => {
      const dir = deviceDir();
      const domainUrl = anonymousUrl('cli-room');
      const device = async (...args: string[]) => {
        const result = await runDomus(['device', ...args, '--dir', dir]);
        return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined };
      };

      const individualized = await device('individualize', '--server', server.url, '--simulated-hardware', 'a');
      assert.equal(individualized.code, 0, individualized.stderr);
      const guid = individualized.json.guid as string;
      assert.match(guid, /^[0-9a-f-]{36}$/);
      assert.deepEqual(new DeviceClient(dir).store.readMachine()?.components, simulatedComponents('a'));

      const joined = await device('join', domainUrl);
      assert.equal(joined.code, 0, joined.stderr);
      assert.deepEqual(joined.json, { domain: 'cli-room', mode: 'anonymous', serverUrl: domainUrl, keyVersions: [1] });

      const licenseFile = path.join(deviceDir(), 'license.json');
      fs.writeFileSync(
        licenseFile,
        JSON.stringify({ id: 'cli-movie', domainServerUrl: domainUrl, domainName: 'cli-room', keyVersion: 1 }),
      );
      const stored = await device('store-license', licenseFile);
      assert.equal(stored.code, 0, stored.stderr);
      assert.deepEqual(stored.json, { stored: true });

      const status = await device('status');
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.json.individualized, true);
      assert.equal(status.json.guid, guid);
      assert.equal(status.json.rootUrl, server.url);
      assert.equal(status.json.licenses, 1);
      assert.equal(status.json.domains.length, 1);
      assert.deepEqual(
        { ...status.json.domains[0], notAfter: undefined },
        { name: 'cli-room', mode: 'anonymous', serverUrl: domainUrl, keyVersions: [1], notAfter: undefined },
      );
      assert.ok(Date.parse(status.json.domains[0].notAfter) > Date.now());
      const members = await server.admin('GET', '/domains/anonymous/cli-room/members');
      assert.deepEqual(
        members.body.items.map((m: { guid: string }) => m.guid),
        [guid],
      );

      const left = await device('leave', domainUrl);
      assert.equal(left.code, 0, left.stderr);
      assert.deepEqual(left.json, { domain: 'cli-room', machineReleased: true, licensesDeleted: 1 });
      const afterLeave = await device('status');
      assert.deepEqual(afterLeave.json.domains, []);
      assert.equal(afterLeave.json.licenses, 0);
      assert.equal((await server.admin('GET', '/domains/anonymous/cli-room')).body.members, 0);

      // A refusal: exit code 1 and the protocol error on stderr.
      const again = await device('leave', domainUrl);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /DEREG_DENIED \(401\)/);
      const usage = await device('join');
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /usage: domus device/);
    });
  });
}
