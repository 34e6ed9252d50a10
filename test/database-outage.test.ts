/**
 * A PostgreSQL outage under load (issue 9, finding 1; docs/reliability.md): a `domus serve`
 * process whose database connections are terminated by the server (SQLSTATE 57P01, as in a
 * restart or failover) or cut by the network must stay up, answer the requests it cannot serve
 * with a clear 503 in each wire format's shape, and serve again by itself once the database is
 * back. The database sits behind a TCP proxy the test cuts and restores.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPostgres, POSTGRES_URL, type TestDatabase } from './support/databases.js';
import { eventually } from './support/eventually.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from './support/machines.js';
import { type DomusProcess, startDomusServer, stopAllChildren } from './support/processes.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const WORKERS = 8;

/** Joins new machines into one anonymous domain from WORKERS loops until stopped; tallies the answers. */
function joinLoad(server: DomusProcess, domain: string) {
  const statuses = new Map<string, number>();
  const count = (kind: string) => statuses.set(kind, (statuses.get(kind) ?? 0) + 1);
  let running = true;
  const loop = async () => {
    while (running) {
      let machine: TestMachine;
      try {
        machine = await individualize(server.url);
      } catch (error) {
        // "individualization failed: <status> <body>" (test/support/machines.ts)
        const message = (error as Error).message;
        const status = /failed: (\d+)/.exec(message)?.[1] ?? '0';
        count(`${status} ${/"name":"(\w+)"/.exec(message)?.[1] ?? message.slice(0, 60)}`);
        continue;
      }
      const answer = await post(protocolUrl(server.url, 'join', { anonymous: domain }), domainRequest(machine)).catch(
        (error: Error) => ({ status: 0, body: { error: { name: error.message } } }),
      );
      count(answer.status === 200 ? '200' : `${answer.status} ${answer.body?.error?.name}`);
    }
  };
  const loops = Array.from({ length: WORKERS }, loop);
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
      return Object.fromEntries(statuses);
    },
  };
}

const alive = (server: DomusProcess) => server.child.exitCode === null && server.child.signalCode === null;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a PostgreSQL outage under load (issue 9)', {
  skip: POSTGRES_URL ? false : 'needs PostgreSQL: set DOMUS_TEST_DATABASE_URL',
  timeout: 180_000,
}, () => {
  let db: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let server: DomusProcess;
  let dataDir = '';
  const adminToken = randomBytes(24).toString('base64url');

  before(async () => {
    db = await createPostgres(POSTGRES_URL as string);
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-outage-'));
    server = await startDomusServer({
      DOMUS_DATABASE_URL: proxy.route(db.url),
      DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
      DOMUS_ADMIN_TOKEN: adminToken,
      DOMUS_DATA_DIR: dataDir,
      DOMUS_PORT: '0',
      DOMUS_LOG_LEVEL: 'warn',
      DOMUS_THROTTLE: 'off',
      DOMUS_DB_POOL_SIZE: '4',
    });
  });

  after(async () => {
    await stopAllChildren();
    await proxy?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stays up when PostgreSQL terminates its connections mid-transaction (SQLSTATE 57P01)', async () => {
    const load = joinLoad(server, 'terminated');
    const admin = new pg.Client({ connectionString: db?.url });
    await admin.connect();
    try {
      for (let round = 0; round < 6; round++) {
        await sleep(300);
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        );
      }
    } finally {
      await admin.end();
    }
    await sleep(300);
    const tally = await load.stop();
    assert.ok(alive(server), `the process exited:\n${server.output()}`);
    for (const kind of Object.keys(tally)) assert.match(kind, /^(200|503 SERVER_UNAVAILABLE)$/, JSON.stringify(tally));
    assert.ok((tally['200'] ?? 0) > 0, JSON.stringify(tally));

    const machine = await individualize(server.url);
    const answer = await post(protocolUrl(server.url, 'join', { anonymous: 'terminated' }), domainRequest(machine));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it('answers 503 in every wire format while the database is unreachable, and recovers by itself', async () => {
    const load = joinLoad(server, 'cut-off');
    await sleep(500);
    await proxy?.cut();
    await sleep(1500);

    // Each wire format its own 503 shape, with Retry-After.
    const machine = await individualize(server.url).catch(() => undefined);
    assert.equal(machine, undefined, 'individualization needs the database');
    const adminAnswer = await fetch(`${server.url}/admin/v1/domains`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal(adminAnswer.status, 503);
    assert.ok(adminAnswer.headers.get('retry-after'));
    assert.equal(((await adminAnswer.json()) as { error: { code: string } }).error.code, 'unavailable');
    const token = await fetch(`${server.url}/o/client/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=nobody-here&client_secret=wrong',
    });
    assert.equal(token.status, 503);
    assert.deepEqual(await token.json(), {
      error: 'temporarily_unavailable',
      error_description: 'the database is unavailable; retry later',
    });

    await sleep(1000);
    await proxy?.restore();
    // New requests succeed as soon as the database is back, with no restart.
    const recovered = await eventually(
      async () => {
        const again = await individualize(server.url).catch(() => undefined);
        if (!again) return 0;
        return (await post(protocolUrl(server.url, 'join', { anonymous: 'cut-off' }), domainRequest(again))).status;
      },
      (status) => status === 200,
      20_000,
    );
    assert.equal(recovered, 200);
    const tally = await load.stop();
    assert.ok(alive(server), `the process exited:\n${server.output()}`);
    for (const kind of Object.keys(tally)) assert.match(kind, /^(200|503 SERVER_UNAVAILABLE)$/, JSON.stringify(tally));
    assert.ok((tally['503 SERVER_UNAVAILABLE'] ?? 0) > 0, JSON.stringify(tally));
  });
});
