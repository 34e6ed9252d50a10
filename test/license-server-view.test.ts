/**
 * The license-server view (docs/license-servers.md) and the periodic purge of expired key
 * versions and former members, on every test database.
 */
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { formerMember, markFormerMembers } from '../src/domains/former-members.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from './support/machines.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

const TOKEN = 'license-server-token-0123456789';
const NEXT_TOKEN = 'license-server-token-rotated-9876';
const DAY_MS = 24 * 3600_000;

for (const kind of testDatabases()) {
  describe(`license-server view on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    /** A second process on the same database: no license-server token, events kept for ever. */
    let bare: TestServer;

    before(async () => {
      db = await kind.create();
      // Processes sharing a database share its master key.
      const DOMUS_MASTER_KEY = randomBytes(32).toString('base64');
      server = await startTestServer(db, {
        DOMUS_MASTER_KEY,
        DOMUS_LICENSE_SERVER_TOKEN: ` ${TOKEN} , ${NEXT_TOKEN} `,
      });
      bare = await startTestServer(db, { DOMUS_MASTER_KEY, DOMUS_DOMAIN_EVENT_RETENTION: 'off' });
    });
    after(async () => {
      await bare?.close();
      await server?.close();
      await db?.drop();
    });

    /** GET of the view of an anonymous domain; `authorization` null sends none. */
    const view = async (name: string, authorization: string | null = `Bearer ${TOKEN}`, on = server) => {
      const response = await fetch(`${on.url}/license-server/v1/domains/anonymous/${encodeURIComponent(name)}`, {
        headers: authorization === null ? {} : { authorization },
      });
      // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
      return { status: response.status, headers: response.headers, body: (await response.json()) as any };
    };
    const join = async (machine: TestMachine, name: string) => {
      const answer = await post(protocolUrl(server.url, 'join', { anonymous: name }), domainRequest(machine));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.credentials.map((c: { keyVersion: number }) => c.keyVersion) as number[];
    };
    const leave = async (machine: TestMachine, name: string) => {
      const answer = await post(
        protocolUrl(server.url, 'leave', { anonymous: name }),
        domainRequest(machine, { op: 'leave', phase: 'commit' }),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    const storedVersions = async (name: string) => {
      const rows = await server.domus.storage.db
        .selectFrom('domain_keys as k')
        .innerJoin('domains as d', 'd.id', 'k.domain_id')
        .select('k.version')
        .where('d.mode', '=', 'anonymous')
        .where('d.name', '=', name)
        .orderBy('k.version')
        .execute();
      return rows.map((row) => row.version);
    };
    const domainId = async (name: string) =>
      (
        await server.domus.storage.db
          .selectFrom('domains')
          .select('id')
          .where('mode', '=', 'anonymous')
          .where('name', '=', name)
          .executeTakeFirstOrThrow()
      ).id;
    /** Makes a key version look `ms` older than it is. */
    const backdateKey = async (name: string, version: number, ms: number) => {
      await server.domus.storage.db
        .updateTable('domain_keys')
        .set((eb) => ({ created_at: eb('created_at', '-', ms) }))
        .where('domain_id', '=', await domainId(name))
        .where('version', '=', version)
        .execute();
    };
    /** Two members, then the first leaves and the second joins again: version 2 is made. */
    const rolledOver = async (name: string, policy?: { keyRetentionSeconds: number }) => {
      const [first, second] = await Promise.all([individualize(server.url), individualize(server.url)]);
      assert.ok(first && second);
      await join(first, name);
      await join(second, name);
      if (policy) assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, policy)).status, 200);
      await leave(first, name);
      assert.deepEqual((await join(second, name)).at(-1), 2);
    };

    describe('authentication', () => {
      const refused = (answer: { status: number; headers: Headers; body: unknown }) => {
        assert.equal(answer.status, 401);
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
        assert.deepEqual(answer.body, {
          error: { code: 'unauthorized', message: 'a valid license-server bearer token is required' },
        });
      };

      before(async () => {
        await join(await individualize(server.url), 'ls-auth');
      });

      it('answers 401 and nothing else without a right token, the admin token included, for any domain', async () => {
        for (const authorization of [
          null,
          'Bearer ',
          `Bearer ${TOKEN}x`,
          `Bearer ${TOKEN.slice(0, -1)}`,
          `Bearer ${TOKEN},${NEXT_TOKEN}`,
          TOKEN,
          `Basic ${Buffer.from(`license:${TOKEN}`).toString('base64')}`,
          `Bearer ${server.adminToken}`,
        ]) {
          refused(await view('ls-auth', authorization));
          refused(await view('no-such-domain', authorization));
        }
      });

      it('opens with either configured token, so that one can be rotated', async () => {
        for (const token of [TOKEN, NEXT_TOKEN]) {
          const answer = await view('ls-auth', `Bearer ${token}`);
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          assert.equal(answer.body.currentKeyVersion, 1);
        }
      });

      it('does not open the admin API with a license-server token', async () => {
        for (const token of [TOKEN, NEXT_TOKEN]) {
          const response = await fetch(`${server.url}/admin/v1/domains/anonymous/ls-auth`, {
            headers: { authorization: `Bearer ${token}` },
          });
          assert.equal(response.status, 401);
          assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
        }
      });

      it('answers 401 to every token when none is configured', async () => {
        for (const authorization of [null, 'Bearer ', `Bearer ${TOKEN}`, `Bearer ${bare.adminToken}`]) {
          refused(await view('ls-auth', authorization, bare));
        }
      });

      it('is listed in the OpenAPI document with its own bearer scheme', async () => {
        const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
          paths: Record<string, Record<string, { tags: string[]; security: unknown }>>;
          components: { securitySchemes: Record<string, unknown> };
        };
        const operation = document.paths['/license-server/v1/domains/{mode}/{name}']?.get;
        assert.ok(operation, Object.keys(document.paths).join(', '));
        assert.deepEqual(operation.tags, ['license server']);
        assert.deepEqual(operation.security, [{ licenseServerToken: [] }]);
        assert.deepEqual(document.components.securitySchemes.licenseServerToken, {
          type: 'http',
          scheme: 'bearer',
          description: 'DOMUS_LICENSE_SERVER_TOKEN',
        });
        assert.ok(document.components.securitySchemes.adminToken);
      });
    });

    describe('answers', () => {
      it('404 in the admin error shape for an unknown domain and for a domain nobody joined yet', async () => {
        const unknown = await view('ls-unknown');
        assert.equal(unknown.status, 404);
        assert.equal(unknown.body.error.code, 'not_found');
        assert.equal((await server.admin('PUT', '/domains/anonymous/ls-empty', {})).status, 201);
        const empty = await view('ls-empty');
        assert.equal(empty.status, 404);
        assert.equal(empty.body.error.code, 'not_found');
        assert.match(empty.body.error.message, /no key yet/);
        const bad = await fetch(`${server.url}/license-server/v1/domains/other/x`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        assert.equal(bad.status, 400);
      });

      it('shows a pending rollover after a leave, then the new current version after the next join', async () => {
        const name = 'ls-roll';
        const [first, second] = await Promise.all([individualize(server.url), individualize(server.url)]);
        assert.ok(first && second);
        await join(first, name);
        await join(second, name);

        const initial = await view(name);
        assert.equal(initial.status, 200, JSON.stringify(initial.body));
        assert.equal(initial.body.mode, 'anonymous');
        assert.equal(initial.body.name, name);
        assert.equal(initial.body.serverUrl, `${server.url}/flashaccess/domainserver/${name}`);
        assert.equal(initial.body.currentKeyVersion, 1);
        assert.equal(initial.body.oldestKeyVersion, 1);
        assert.equal(initial.body.rolloverPending, false);
        assert.equal(initial.body.keyVersions.length, 1);
        const [v1] = initial.body.keyVersions;
        assert.equal(v1.version, 1);
        assert.equal(v1.supersededAt, null);
        const certificate = new X509Certificate(Buffer.from(v1.certificate, 'base64'));
        const ca = new X509Certificate(await (await fetch(`${server.url}/flashaccess/domain-ca.pem`)).text());
        assert.equal(certificate.checkIssued(ca), true);
        assert.equal(certificate.verify(ca.publicKey), true);
        assert.match(certificate.subjectAltName ?? '', /urn:domus:key-version:1/);
        assert.ok(certificate.subjectAltName?.includes(initial.body.serverUrl));
        assert.equal(v1.certificateNotAfter, certificate.validToDate.toISOString());

        await leave(first, name);
        const pending = await view(name);
        assert.equal(pending.body.rolloverPending, true);
        assert.equal(pending.body.currentKeyVersion, 1);
        assert.equal(pending.body.oldestKeyVersion, 1);

        assert.deepEqual(await join(second, name), [1, 2]);
        const rolled = await view(name);
        assert.equal(rolled.body.rolloverPending, false);
        assert.equal(rolled.body.currentKeyVersion, 2);
        assert.equal(rolled.body.oldestKeyVersion, 1);
        assert.deepEqual(
          rolled.body.keyVersions.map((k: { version: number }) => k.version),
          [1, 2],
        );
        const [old, current] = rolled.body.keyVersions;
        assert.equal(old.supersededAt, current.createdAt);
        assert.equal(current.supersededAt, null);
        assert.match(new X509Certificate(Buffer.from(current.certificate, 'base64')).subjectAltName ?? '', /:2\b/);
      });

      it('an operator removal sets rolloverPending too', async () => {
        const name = 'ls-removal';
        const [first, second] = await Promise.all([individualize(server.url), individualize(server.url)]);
        assert.ok(first && second);
        await join(first, name);
        await join(second, name);
        const removed = await server.admin('DELETE', `/domains/anonymous/${name}/members/${first.guid}`);
        assert.ok(removed.status < 300, JSON.stringify(removed.body));
        const pending = await view(name);
        assert.equal(pending.body.rolloverPending, true);
        assert.equal(pending.body.currentKeyVersion, 1);
      });

      it('with keyRetentionSeconds 0, shows only the current version after a rollover; the purge destroys the old one', async () => {
        const name = 'ls-retain-0';
        await rolledOver(name, { keyRetentionSeconds: 0 });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const before = await snapshot(server.domus.storage);
        const answer = await view(name);
        assert.equal(answer.body.currentKeyVersion, 2);
        assert.equal(answer.body.oldestKeyVersion, 2);
        assert.deepEqual(
          answer.body.keyVersions.map((k: { version: number }) => k.version),
          [2],
        );
        assert.equal(answer.body.keyVersions[0].supersededAt, null);
        // The view only reads.
        assert.deepEqual(await snapshot(server.domus.storage), before);

        await server.domus.purge();
        assert.deepEqual(await storedVersions(name), [2]);
        assert.equal((await view(name)).body.oldestKeyVersion, 2);
      });
    });

    describe('purge', () => {
      it('destroys, without any join, the versions whose successor is older than the retention, in every domain', async () => {
        const hour = 'ls-retain-hour';
        await rolledOver(hour, { keyRetentionSeconds: 3600 });
        const forever = 'ls-retain-forever';
        await rolledOver(forever);

        await server.domus.purge();
        assert.deepEqual(await storedVersions(hour), [1, 2], 'within the retention');
        assert.equal((await view(hour)).body.oldestKeyVersion, 1);

        await backdateKey(hour, 2, 3600_000 + 60_000);
        await backdateKey(forever, 2, 3650 * DAY_MS);
        assert.equal((await view(hour)).body.oldestKeyVersion, 2, 'no longer delivered');
        assert.deepEqual(await storedVersions(hour), [1, 2], 'the view destroys nothing');

        await server.domus.purge();
        assert.deepEqual(await storedVersions(hour), [2]);
        assert.deepEqual(await storedVersions(forever), [1, 2], 'no retention: kept for ever');
        const answer = await view(forever);
        assert.equal(answer.body.oldestKeyVersion, 1);
        assert.equal(answer.body.currentKeyVersion, 2);
      });

      it('forgets former members marked longer ago than the event retention; with retention off, never', async () => {
        const name = 'ls-former';
        await join(await individualize(server.url), name);
        const id = await domainId(name);
        const db = server.domus.storage.db;
        const now = Date.now();
        await markFormerMembers(db, id, ['old-guid'], 'removed', now - 91 * DAY_MS);
        await markFormerMembers(db, id, ['recent-guid'], 'evicted', now - 89 * DAY_MS);

        await bare.domus.purge();
        assert.equal(await formerMember(db, id, 'old-guid'), 'removed', 'retention off keeps them');

        await server.domus.purge();
        assert.equal(await formerMember(db, id, 'old-guid'), undefined);
        assert.equal(await formerMember(db, id, 'recent-guid'), 'evicted');
      });
    });
  });
}
