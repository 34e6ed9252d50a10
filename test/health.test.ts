/**
 * Health and readiness probes and the management listener (issue 10; docs/running.md), on every
 * database: `/healthz` and `/readyz` answer unauthenticated, unthrottled and without a log line
 * per probe; `/readyz` names the check that fails (a schema behind the code, a shutdown under
 * way); DOMUS_MANAGEMENT_PORT moves the probes and metrics, and DOMUS_MANAGEMENT_ADMIN the admin
 * API, off the public listener. The database outage case is test/readiness-outage.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createLogger } from '../src/platform/logger.js';
import { LATEST_MIGRATION } from '../src/platform/storage/migrate.js';
import { adminClient } from './support/admin-client.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { eventually } from './support/eventually.js';
import { runDomus } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
type Json = any;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Json };
}

const ALL_OK = { database: 'ok', migrations: 'ok', keys: 'ok', changeListener: 'ok' };
/** PostgreSQL's change listener proves itself within a round trip of its first heartbeat. */
const READY_WITHIN_MS = 5_000;

for (const kind of testDatabases()) {
  describe(`health and readiness probes on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    const lines: string[] = [];

    before(async () => {
      database = await kind.create();
      const logger = createLogger(
        'info',
        new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      );
      // A throttle of one request a minute: the probes must not be under it.
      server = await startTestServer(database, { DOMUS_THROTTLE: '1/min,1' }, { logger });
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    it('answers /healthz 200 and /readyz 200 with every check ok, many times over, with no log line', async () => {
      const ready = await eventually(
        () => get(`${server.url}/readyz`),
        (answer) => answer.status === 200,
        READY_WITHIN_MS,
      );
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.deepEqual(ready.body, { status: 'ready', checks: ALL_OK });
      assert.equal(ready.headers.get('cache-control'), 'no-store');
      const logged = lines.length;
      for (let i = 0; i < 5; i++) {
        const health = await get(`${server.url}/healthz`);
        assert.equal(health.status, 200);
        assert.deepEqual(health.body, { status: 'ok' });
        assert.equal((await get(`${server.url}/readyz`)).status, 200);
      }
      const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      const probeLines = lines.slice(logged).filter((line) => /"url":"\/(healthz|readyz)/.test(line));
      assert.deepEqual(probeLines, [], 'no log line per probe');
    });

    it('answers /readyz 503 naming the migrations while the schema is behind the code, and 200 again after', async () => {
      const db = server.domus.storage.db;
      const { rows } = await sql<Json>`select * from domus_migrations where name = ${LATEST_MIGRATION}`.execute(db);
      assert.equal(rows.length, 1);
      await sql`delete from domus_migrations where name = ${LATEST_MIGRATION}`.execute(db);
      try {
        const behind = await get(`${server.url}/readyz`);
        assert.equal(behind.status, 503);
        assert.equal(behind.body.status, 'unavailable');
        assert.equal(behind.body.checks.database, 'ok');
        assert.match(behind.body.checks.migrations, /^pending/);
      } finally {
        const row = rows[0];
        await sql`insert into domus_migrations (name, timestamp) values (${row.name}, ${row.timestamp})`.execute(db);
      }
      assert.equal((await get(`${server.url}/readyz`)).status, 200);
    });

    it('documents the probes in /openapi.json', async () => {
      const document = (await get(`${server.url}/openapi.json`)).body;
      assert.ok(document.paths['/healthz']?.get?.responses['200']);
      assert.ok(document.paths['/readyz']?.get?.responses['503']);
    });

    it('answers /readyz 503 "shutting down" at once once the shutdown begins', async () => {
      server.domus.readiness.shutDown();
      const answer = await get(`${server.url}/readyz`);
      assert.equal(answer.status, 503);
      assert.equal(answer.body.status, 'shutting down');
      assert.equal((await get(`${server.url}/healthz`)).status, 200, 'still alive');
    });
  });

  describe(`the management listener on ${kind.name}`, () => {
    let database: TestDatabase;
    let split: TestServer;
    let adminApart: TestServer;

    before(async () => {
      database = await kind.create();
      // Two processes on one database share its master key.
      const masterKey = { DOMUS_MASTER_KEY: randomBytes(32).toString('base64') };
      split = await startTestServer(database, { ...masterKey, DOMUS_MANAGEMENT_PORT: '0' });
      adminApart = await startTestServer(database, {
        ...masterKey,
        DOMUS_MANAGEMENT_PORT: '0',
        DOMUS_MANAGEMENT_ADMIN: 'true',
      });
    });
    after(async () => {
      await split?.close();
      await adminApart?.close();
      await database?.drop();
    });

    const managementUrl = (server: TestServer) => server.domus.managementRoot() as string;

    it('serves the probes and metrics on the management listener only', async () => {
      const management = managementUrl(split);
      assert.match(management, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(management, split.url);
      const ready = await eventually(
        () => get(`${management}/readyz`),
        (answer) => answer.status === 200,
        READY_WITHIN_MS,
      );
      assert.deepEqual(ready.body, { status: 'ready', checks: ALL_OK });
      assert.equal((await get(`${management}/healthz`)).status, 200);
      assert.equal((await fetch(`${management}/metrics`)).status, 200);
      for (const pathname of ['/healthz', '/readyz', '/metrics']) {
        const answer = await get(`${split.url}${pathname}`);
        assert.equal(answer.status, 404, pathname);
        assert.equal(answer.body.error.code, 'not_found', 'in the generic error shape');
      }
      // The protocols and, without DOMUS_MANAGEMENT_ADMIN, the admin API stay on the public listener.
      assert.equal((await get(`${split.url}/flashaccess/getServerVersion/v3`)).status, 200);
      assert.equal((await split.admin('GET', '/domains')).status, 200);
      assert.equal((await adminClient(management, split.adminToken)('GET', '/domains')).status, 404);
    });

    it('with DOMUS_MANAGEMENT_ADMIN serves the admin API on the management listener only', async () => {
      const management = managementUrl(adminApart);
      const there = adminClient(management, adminApart.adminToken);
      assert.equal((await there('GET', '/domains')).status, 200);
      const unauthorized = await get(`${management}/admin/v1/domains`);
      assert.equal(unauthorized.status, 401, 'still behind the admin token');
      assert.equal(unauthorized.body.error.code, 'unauthorized');
      const publicAnswer = await adminApart.admin('GET', '/domains');
      assert.equal(publicAnswer.status, 404);
      assert.equal((await get(`${adminApart.url}/flashaccess/getServerVersion/v3`)).status, 200);
      // The console goes with the admin API: on the management listener, not the public one.
      assert.equal((await fetch(`${management}/console/sign-in`)).status, 200);
      assert.equal((await fetch(`${adminApart.url}/console/sign-in`)).status, 404);
      const frontPage = await (await fetch(`${adminApart.url}/`)).text();
      assert.match(frontPage, /served on this\s+server's management listener/);
      assert.doesNotMatch(frontPage, /href="\/console\/"/);

      // Each listener's OpenAPI document describes what it serves.
      const publicPaths = Object.keys((await get(`${adminApart.url}/openapi.json`)).body.paths);
      const managementPaths = Object.keys((await get(`${management}/openapi.json`)).body.paths);
      assert.ok(publicPaths.includes('/flashaccess/indiv/v1'));
      assert.ok(!publicPaths.some((p) => p.startsWith('/admin/') || p === '/readyz'), publicPaths.join(' '));
      assert.ok(managementPaths.includes('/admin/v1/domains') && managementPaths.includes('/readyz'));
      assert.ok(!managementPaths.includes('/flashaccess/indiv/v1'));
    });

    it('lets domus admin find the admin API on the management listener by itself', async () => {
      const port = new URL(managementUrl(adminApart)).port;
      const listed = await runDomus(['admin', 'domains', 'list'], {
        DOMUS_MANAGEMENT_PORT: port,
        DOMUS_MANAGEMENT_ADMIN: 'true',
        DOMUS_DATA_DIR: adminApart.dataDir,
      });
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(Array.isArray(JSON.parse(listed.stdout).items), listed.stdout);
    });
  });
}
