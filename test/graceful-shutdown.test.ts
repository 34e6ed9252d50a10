/**
 * Graceful shutdown of `domus serve` (issue 10; docs/running.md, "Shutdown").
 *
 * - Under a load of joins, client registrations and authorizations, on each database: SIGTERM
 *   mid-load; every request the server accepted gets a whole answer (new connections are
 *   refused, which is fine), every acknowledged join and registration is stored and nothing is
 *   stored that was not acknowledged, and the process exits 0.
 * - Over raw connections: an idle keep-alive connection is closed at once; a request in flight
 *   is waited for and answered, with `Connection: close`; meanwhile the management listener
 *   answers /readyz 503 "shutting down" and the public one refuses connections.
 * - A request that never finishes does not keep the process past DOMUS_SHUTDOWN_GRACE_S, nor
 *   past a second signal; it exits 0 either way.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSqlite, type TestDatabase, testDatabases } from './support/databases.js';
import { audit, mixedLoad } from './support/mixed-load.js';
import { accessToken, softwareStatement } from './support/pass-client.js';
import { type DomusProcess, loadTestEnv, startDomusServer, stopAllChildren } from './support/processes.js';
import { device, signInThroughDomus } from './support/stored-profiles.js';
import { UserAgent } from './support/user-agent.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'domus-drain-'));
/** Errors of a request that got no answer: refused, or its idle connection closed as it was sent. */
const NO_ANSWER = /^\w+ (ECONNREFUSED|ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed)/;

/** The exit code, or a rejection if the process has not exited within `ms`. */
function exitWithin(server: DomusProcess, ms: number): Promise<number | null> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms later\n${server.output()}`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const running = (server: DomusProcess) => server.child.exitCode === null && server.child.signalCode === null;

for (const kind of testDatabases()) {
  describe(`SIGTERM under load on ${kind.name}`, { timeout: 120_000 }, () => {
    let database: TestDatabase;
    const dataDir = tempDir();
    before(async () => {
      database = await kind.create();
    });
    after(async () => {
      await stopAllChildren();
      await database?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('answers every request it accepted, loses no acknowledged operation, and exits 0', async () => {
      const server = await startDomusServer({
        ...loadTestEnv(database.url),
        DOMUS_DATA_DIR: dataDir,
        DOMUS_DEMO: 'true',
        DOMUS_SHUTDOWN_GRACE_S: '10',
      });
      const { client, token } = await accessToken(server.url, server.admin);
      const phone = device('graceful-shutdown');
      await signInThroughDomus(server, new UserAgent(), {
        token,
        headers: phone.headers,
        mvpd: 'DemoCable',
        user: 'alice',
      });
      const statement = await softwareStatement(server.admin);
      const load = mixedLoad(server.url, { token, headers: phone.headers, statement });

      // SIGTERM under full load, at a random moment once the load is going.
      const giveUp = Date.now() + 30_000;
      while (load.acknowledged() < 60 && Date.now() < giveUp) await sleep(20);
      await sleep(Math.random() * 200);
      load.record.mark = Date.now();
      server.child.kill('SIGTERM');
      const code = await exitWithin(server, 20_000);
      const record = await load.stop();
      const findings = await audit(database, record, new Set([client.client_id]));

      const seen = JSON.stringify({
        ...record,
        joins: record.joins.size,
        registrations: record.registrations.size,
        findings,
      });
      assert.equal(code, 0, server.output());
      assert.deepEqual(record.cut, [], `answers cut short: ${seen}`);
      assert.deepEqual(findings, { lost: [], unacknowledged: [] }, seen);
      for (const answer of Object.keys(record.answers)) {
        assert.match(answer, /^(individualize 200|join 200|register 201|authorize 200)$/, seen);
      }
      for (const failure of Object.keys(record.unanswered)) assert.match(failure, NO_ANSWER, seen);
      assert.ok(record.joins.size > 0 && record.registrations.size > 0 && record.permits > 0, seen);
      assert.ok(record.answeredAfterMark > 0, `no request was in flight at the signal: ${seen}`);
    });
  });
}

/** A raw HTTP/1.1 connection: what it received, and whether the server closed it. */
async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    received: () => received,
    closed,
    isClosed: () => socket.destroyed,
  };
}

/** Resolves once `read()` holds a whole answer (headers and the Content-Length of body). */
async function wholeAnswer(read: () => string, ms = 5_000): Promise<string> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const text = read();
    const end = text.indexOf('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
    if (end >= 0 && text.length >= end + 4 + length) return text;
    await sleep(10);
  }
  throw new Error(`no whole answer: ${read()}`);
}

const refused = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: Error & { code?: string }) => resolve(error.code ?? error.message));
  });

const portOf = (url: string) => Number(new URL(url).port);
/** A request whose body is still on its way: 4 of its 40 bytes sent. */
const PARTIAL_REQUEST =
  'POST /flashaccess/indiv/v1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/jose\r\nContent-Length: 40\r\n\r\nabcd';

describe('shutdown over raw connections', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  /** One master key for every process on the database. */
  let env: Record<string, string>;
  const dataDirs: string[] = [];
  before(async () => {
    database = await createSqlite();
    env = loadTestEnv(database.url);
  });
  after(async () => {
    await stopAllChildren();
    await database?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = (settings: Record<string, string>) => {
    dataDirs.push(tempDir());
    return startDomusServer({ ...env, DOMUS_DATA_DIR: dataDirs.at(-1) as string, ...settings });
  };

  it('closes idle connections at once and waits for a request in flight, answering it with Connection: close', async () => {
    const server = await start({ DOMUS_MANAGEMENT_PORT: '0', DOMUS_SHUTDOWN_GRACE_S: '30' });
    const management = /management: +(http:\/\/\S+)/.exec(server.output())?.[1] as string;
    assert.ok(management, server.output());
    const idle = await rawConnection(portOf(server.url));
    idle.socket.write('GET /flashaccess/getServerVersion/v3 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.match(await wholeAnswer(idle.received), /^HTTP\/1\.1 200 /);
    const inFlight = await rawConnection(portOf(server.url));
    inFlight.socket.write(PARTIAL_REQUEST);
    await sleep(100);

    server.child.kill('SIGTERM');
    await Promise.race([idle.closed, sleep(2_000)]);
    assert.ok(idle.isClosed(), 'the idle keep-alive connection is closed');
    const ready = await fetch(`${management}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'shutting down', checks: { shutdown: 'in progress' } });
    assert.equal((await fetch(`${management}/healthz`)).status, 200, 'the management listener serves meanwhile');
    assert.equal(await refused(portOf(server.url)), 'ECONNREFUSED', 'the public listener accepts no connection');
    await sleep(1_000);
    assert.ok(running(server), 'the process waits for the request in flight');
    assert.equal(inFlight.isClosed(), false);

    inFlight.socket.write('efghijklmnopqrstuvwxyz0123456789ABCD');
    const answer = await wholeAnswer(inFlight.received);
    assert.match(answer, /^HTTP\/1\.1 400 /, 'answered in full, in its own wire format');
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.match(answer, /"name":"/);
    assert.equal(await exitWithin(server, 5_000), 0);
  });

  it('cuts a request that never finishes when the grace period ends, and exits 0', async () => {
    const server = await start({ DOMUS_SHUTDOWN_GRACE_S: '1' });
    const stuck = await rawConnection(portOf(server.url));
    stuck.socket.write(PARTIAL_REQUEST);
    await sleep(100);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await exitWithin(server, 6_000), 0);
    const tookMs = Date.now() - signalled;
    assert.ok(tookMs >= 900, `exited after ${tookMs} ms, before the grace period ended`);
    await stuck.closed;
  });

  it('cuts the grace period short on a second signal, and exits 0', async () => {
    const server = await start({ DOMUS_SHUTDOWN_GRACE_S: '60' });
    const stuck = await rawConnection(portOf(server.url));
    stuck.socket.write(PARTIAL_REQUEST);
    await sleep(100);
    server.child.kill('SIGTERM');
    await sleep(500);
    assert.ok(running(server), 'waiting for the request in flight');
    server.child.kill('SIGINT');
    assert.equal(await exitWithin(server, 5_000), 0);
    await stuck.closed;
  });
});
