/**
 * Prometheus metrics (docs/running.md, "Metrics") on every database: `GET /metrics` answers the
 * text format; joins, leaves, individualizations, rollovers, sign-ins, decisions and logouts move
 * their counters under the right labels; labels stay bounded (route templates, never URLs or
 * ids a request sent); `DOMUS_METRICS=false` serves no metrics.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../src/platform/logger.js';
import { createSqlite, type TestDatabase, testDatabases } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from './support/machines.js';
import { accessToken, call } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device, saveProfile, signInThroughDomus } from './support/stored-profiles.js';
import { UserAgent } from './support/user-agent.js';

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text answer (enough of the format for these metrics). */
function parse(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    series.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return series;
}

/** The value of the one series of `name` with exactly `labels` (0 when there is none). */
function sample(all: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = all.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  assert.ok(found.length <= 1, `one series of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

for (const kind of testDatabases()) {
  describe(`metrics on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let clientId: string;

    const scrape = async () => {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      const text = await response.text();
      return { text, series: parse(text) };
    };
    const domainCall = (machine: TestMachine, op: 'join' | 'leave', target: { anonymous?: string }, fields = {}) =>
      post(protocolUrl(server.url, op, target), domainRequest(machine, { op, ...fields }));

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      const registered = await accessToken(server.url, server.admin);
      token = registered.token;
      clientId = registered.client.client_id;
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('answers the Prometheus text format, with the process metrics and the platform gauges', async () => {
      const { text, series } = await scrape();
      assert.match(text, /^# HELP domus_http_requests_total /m);
      assert.match(text, /^# TYPE domus_http_request_duration_seconds histogram$/m);
      assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
      assert.match(text, /^# TYPE nodejs_heap_size_used_bytes gauge$/m);
      assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
      assert.equal(sample(series, 'domus_crypto_queue_depth'), 0);
      if (kind.name === 'postgres') {
        assert.equal(sample(series, 'domus_db_pool_size'), 4, 'DOMUS_DB_POOL_SIZE of the test server');
        assert.equal(sample(series, 'domus_db_pool_waiting'), 0);
        assert.ok(series.some((s) => s.name === 'domus_db_pool_in_use'));
      } else {
        assert.equal(sample(series, 'domus_change_listener_up'), 1, 'SQLite always hears changes');
        assert.ok(!series.some((s) => s.name.startsWith('domus_db_pool_')), 'SQLite has no pool');
      }
    });

    it('counts joins, leaves, individualizations and key rollovers by operation, mode and outcome', async () => {
      const name = `metrics-${randomBytes(4).toString('hex')}`;
      const target = { anonymous: name };
      const before = (await scrape()).series;
      const [first, second, stranger] = [
        await individualize(server.url),
        await individualize(server.url),
        await individualize(server.url),
      ] as [TestMachine, TestMachine, TestMachine];

      assert.equal((await domainCall(first, 'join', target)).status, 200);
      assert.equal((await domainCall(second, 'join', target)).status, 200);
      // An identity join without an auth token, refused.
      assert.equal((await domainCall(first, 'join', {})).status, 401);
      assert.equal((await domainCall(first, 'leave', target, { phase: 'preview' })).status, 200);
      assert.equal((await domainCall(first, 'leave', target, { phase: 'commit' })).status, 200);
      // A stranger's leave, refused after its request verified; a body that is no JWS at all.
      assert.equal((await domainCall(stranger, 'leave', target, { phase: 'commit' })).status, 403);
      assert.equal((await post(protocolUrl(server.url, 'leave', target), 'not a JWS')).status, 400);
      // The next join after a leave makes a new key version.
      assert.equal((await domainCall(second, 'join', target)).status, 200);

      const after = (await scrape()).series;
      const moved = (metric: string, labels: Record<string, string>) =>
        sample(after, metric, labels) - sample(before, metric, labels);
      const operations = 'domus_domain_operations_total';
      assert.equal(moved(operations, { operation: 'join', mode: 'anonymous', outcome: 'ok' }), 3);
      assert.equal(
        moved(operations, { operation: 'join', mode: 'identity', outcome: 'DOM_AUTHENTICATION_REQUIRED' }),
        1,
      );
      assert.equal(moved(operations, { operation: 'leave-preview', mode: 'anonymous', outcome: 'ok' }), 1);
      assert.equal(moved(operations, { operation: 'leave-commit', mode: 'anonymous', outcome: 'ok' }), 1);
      assert.equal(moved(operations, { operation: 'leave-commit', mode: 'anonymous', outcome: 'DEREG_DENIED' }), 1);
      assert.equal(moved(operations, { operation: 'leave', mode: 'anonymous', outcome: 'REQ_MALFORMED' }), 1);
      assert.equal(moved('domus_domain_individualizations_total', { outcome: 'ok' }), 3);
      assert.equal(moved('domus_domain_key_rollovers_total', { mode: 'anonymous' }), 1);

      const joinRoute = '/flashaccess/domainserver/:domainName/flashaccess/domain/v4';
      assert.equal(moved('domus_http_requests_total', { route: joinRoute, method: 'POST', status: '200' }), 3);
      assert.equal(
        moved('domus_http_request_duration_seconds_count', { route: joinRoute, method: 'POST' }),
        3,
        'each join timed once',
      );
    });

    it('counts sign-ins, decisions, media tokens and logouts by MVPD', async () => {
      const phone = device(`metrics-phone-${randomBytes(4).toString('hex')}`);
      const before = (await scrape()).series;
      await signInThroughDomus(server, new UserAgent(), {
        token,
        headers: phone.headers,
        mvpd: 'DemoCable',
        user: 'alice',
      });
      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoSat', entitlements: ['DemoChannel'] });
      const authorize = (mvpd: string, resource: string) =>
        call(server.url, 'POST', `/api/v2/DemoChannel/decisions/authorize/${mvpd}`, {
          token,
          headers: phone.headers,
          json: { resources: [resource] },
        });
      const permit = await authorize('DemoSat', 'DemoChannel');
      assert.equal(permit.body.decisions[0].authorized, true, JSON.stringify(permit.body));
      const deny = await authorize('DemoSat', 'PremiumChannel');
      assert.equal(deny.body.decisions[0].authorized, false, JSON.stringify(deny.body));
      const unknownMvpd = `NoSuchMvpd${randomBytes(4).toString('hex')}`;
      assert.equal((await authorize(unknownMvpd, 'DemoChannel')).status, 400);
      const logout = (mvpd: string) =>
        call(
          server.url,
          'GET',
          `/api/v2/DemoChannel/logout/${mvpd}?redirectUrl=${encodeURIComponent('http://localhost:3000/done')}`,
          {
            token,
            headers: phone.headers,
          },
        );
      assert.equal((await logout('DemoSat')).body.logouts.DemoSat.actionName, 'complete');
      assert.equal((await logout('DemoSat')).body.logouts.DemoSat.actionName, 'invalid');
      assert.equal((await logout('DemoCable')).body.logouts.DemoCable.actionName, 'logout');

      const { text, series: after } = await scrape();
      const moved = (metric: string, labels: Record<string, string>) =>
        sample(after, metric, labels) - sample(before, metric, labels);
      assert.equal(moved('domus_sign_ins_total', { mvpd: 'DemoCable' }), 1);
      const decisions = 'domus_decisions_total';
      assert.equal(moved(decisions, { kind: 'authorize', mvpd: 'DemoSat', result: 'permit' }), 1);
      assert.equal(moved(decisions, { kind: 'authorize', mvpd: 'DemoSat', result: 'deny' }), 1);
      assert.equal(moved(decisions, { kind: 'authorize', mvpd: '', result: 'error' }), 1, 'no MVPD the request named');
      assert.equal(moved('domus_media_tokens_issued_total', { mvpd: 'DemoSat' }), 1);
      assert.equal(moved('domus_logouts_total', { mvpd: 'DemoSat', action: 'complete' }), 1);
      assert.equal(moved('domus_logouts_total', { mvpd: 'DemoSat', action: 'invalid' }), 1);
      assert.equal(moved('domus_logouts_total', { mvpd: 'DemoCable', action: 'logout' }), 1);
      assert.ok(!text.includes(unknownMvpd), 'an MVPD id the request sent is no label');
    });

    it('labels requests by route template: varied ids and unmatched paths add no series', async () => {
      const ids = Array.from({ length: 5 }, () => randomBytes(6).toString('hex'));
      for (const id of ids) {
        await call(server.url, 'GET', `/api/v2/DemoChannel/sessions/${id}`, { token, headers: device('x').headers });
        assert.equal((await fetch(`${server.url}/no-such-path/${id}`)).status, 404);
      }
      const { text, series } = await scrape();
      for (const id of ids) assert.ok(!text.includes(id), `${id} is no label`);
      const sessionRoutes = series.filter(
        (s) => s.name === 'domus_http_requests_total' && s.labels.route?.includes('/sessions/'),
      );
      assert.ok(sessionRoutes.length > 0);
      for (const s of sessionRoutes) assert.equal(s.labels.route, '/api/v2/:serviceProvider/sessions/:code');
      assert.ok(sample(series, 'domus_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }) >= 5);
    });
  });
}

describe('metrics and the request log', () => {
  it('a scrape writes no request log line; other requests do', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const database = await createSqlite();
    const server = await startTestServer(database, {}, { logger });
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 200);
      assert.equal((await fetch(`${server.url}/flashaccess/getServerVersion/v3`)).status, 200);
      const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
      assert.deepEqual(
        requests.map((entry) => entry.url),
        ['/flashaccess/getServerVersion/v3'],
      );
    } finally {
      await server.close();
      await database.drop();
    }
  });
});

describe('metrics off', () => {
  it('DOMUS_METRICS=false serves no /metrics', async () => {
    const database = await createSqlite();
    const server = await startTestServer(database, { DOMUS_METRICS: 'false' });
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
