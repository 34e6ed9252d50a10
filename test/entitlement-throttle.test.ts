/**
 * The request throttle of the entitlement API (docs/entitlement-api.md, "Throttling") on every
 * database: token buckets per client address, shared by every process on one database through one
 * atomic upsert.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { clientKey, Throttle } from '../src/platform/limits/throttle.js';
import { assertAdobeErrorBody } from './support/adobe-contract.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken, call } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const CONFIGURATION = '/api/v2/DemoChannel/configuration';

describe('throttle bucket keys', () => {
  it('keys IPv4 clients by address and IPv6 clients by their /64', () => {
    assert.equal(clientKey('203.0.113.7'), 'ip:203.0.113.7');
    assert.equal(clientKey('::ffff:203.0.113.7'), 'ip:203.0.113.7');
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), 'ip:2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), 'ip:2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), 'ip:2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), 'ip:0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'ip:fe80:0:0:0::/64');
    assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  });
});

for (const kind of testDatabases()) {
  describe(`throttle on ${kind.name}`, () => {
    let database: TestDatabase;
    let first: TestServer;
    let second: TestServer;
    let token: string;

    before(async () => {
      database = await kind.create();
      const env = {
        DOMUS_DEMO: 'true',
        DOMUS_THROTTLE: '2/s,3',
        DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
        DOMUS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      };
      first = await startTestServer(database, env);
      second = await startTestServer(database, env);
      token = (await accessToken(first.url, first.admin)).token;
    });
    beforeEach(async () => {
      await first.domus.storage.db.deleteFrom('throttle_buckets').execute();
    });
    after(async () => {
      await first?.close();
      await second?.close();
      await database.drop();
    });

    it('lets a burst through, then answers 429 with Retry-After and an enhanced error', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await call(first.url, 'GET', CONFIGURATION, { token })).status, 200);
      const refused = await call(first.url, 'GET', CONFIGURATION, { token, headers: { origin: 'http://localhost' } });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(refused.headers.get('access-control-allow-origin'), 'http://localhost', 'a browser app can read it');
      assert.deepEqual(
        { ...refused.body, message: typeof refused.body.message },
        {
          action: 'retry',
          status: 429,
          code: 'too_many_requests',
          message: 'string',
          trace: refused.headers.get('x-request-id'),
        },
      );
      await assertAdobeErrorBody(refused.body);
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal((await call(first.url, 'GET', CONFIGURATION, { token })).status, 200, 'refilled at 2/s');
    });

    it('shares one bucket between the processes on one database', async () => {
      const servers = [first, second, first];
      for (const server of servers) assert.equal((await call(server.url, 'GET', CONFIGURATION, { token })).status, 200);
      assert.equal((await call(second.url, 'GET', CONFIGURATION, { token })).status, 429);
      assert.equal((await call(first.url, 'GET', CONFIGURATION, { token })).status, 429);
    });

    it('counts DCR and unknown paths too, but not CORS preflight requests', async () => {
      assert.equal((await call(first.url, 'POST', '/o/client/token')).status, 400);
      assert.equal((await call(first.url, 'GET', '/api/v2/DemoChannel/nothing')).status, 404);
      assert.equal((await call(first.url, 'GET', '/o/client/register')).status, 405);
      for (let i = 0; i < 5; i++) {
        const preflight = await call(first.url, 'OPTIONS', CONFIGURATION, {
          headers: { origin: 'http://localhost', 'access-control-request-method': 'GET' },
        });
        assert.equal(preflight.status, 204);
      }
      const refused = await call(first.url, 'POST', '/o/client/register', { json: {} });
      assert.equal(refused.status, 429);
      await assertAdobeErrorBody(refused.body);
      assert.equal((await call(first.url, 'GET', '/admin/v1/mvpds')).status, 401, 'the admin API is not throttled');
    });

    it('refuses in the database, atomically: concurrent requests never exceed the burst', async () => {
      const throttle = new Throttle(first.domus.storage, 'api', { ratePerS: 1, burst: 5 });
      const now = Date.now();
      const decisions = await Promise.all(Array.from({ length: 40 }, () => throttle.take('ip:198.51.100.1', now)));
      assert.equal(decisions.filter((d) => d.allowed).length, 5);
      assert.ok(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterS === 1));
    });

    it('refills at the rate, up to the burst, and a refused request costs nothing', async () => {
      const throttle = new Throttle(first.domus.storage, 'api', { ratePerS: 0.5, burst: 2 });
      const key = 'ip:198.51.100.2';
      const t0 = 1_000_000_000_000;
      assert.equal((await throttle.take(key, t0)).allowed, true);
      assert.equal((await throttle.take(key, t0)).allowed, true);
      for (let i = 0; i < 5; i++)
        assert.deepEqual(await throttle.take(key, t0 + 100), { allowed: false, retryAfterS: 2 });
      assert.deepEqual(await throttle.take(key, t0 + 1500), { allowed: false, retryAfterS: 1 });
      assert.equal((await throttle.take(key, t0 + 2000)).allowed, true, 'one token after 2 s at 0.5/s');
      assert.equal((await throttle.take(key, t0 + 2000)).allowed, false);
      assert.equal((await throttle.take(key, t0 + 60_000)).allowed, true);
      assert.equal((await throttle.take(key, t0 + 60_000)).allowed, true);
      assert.equal((await throttle.take(key, t0 + 60_000)).allowed, false, 'never more than the burst');
      assert.equal((await throttle.take(key, t0 + 30_000)).allowed, false, 'a clock going back refills nothing');
      assert.equal(await throttle.purge(t0 + 60_000 + 3_999), 0);
      assert.equal(await throttle.purge(t0 + 60_000 + 4_001), 1, 'a bucket that is full again is deleted');
    });

    it('shares the table between limits of different rates: namespaced keys, each purge its own (issue 9)', async () => {
      const fast = new Throttle(first.domus.storage, 'fast', { ratePerS: 1, burst: 1 });
      const slow = new Throttle(first.domus.storage, 'slow', { ratePerS: 1 / 3600, burst: 1 });
      const t0 = 1_000_000_000_000;
      assert.equal((await fast.take('ip:198.51.100.3', t0)).allowed, true);
      assert.equal((await fast.take('ip:198.51.100.3', t0)).allowed, false);
      assert.equal((await slow.take('ip:198.51.100.3', t0)).allowed, true, 'another namespace, another bucket');
      assert.deepEqual(await slow.take('ip:198.51.100.3', t0), { allowed: false, retryAfterS: 3600 });
      assert.deepEqual(await slow.peek('ip:198.51.100.3', t0 + 600_000), { allowed: false, retryAfterS: 3000 });
      assert.equal((await fast.peek('ip:198.51.100.3', t0 + 1000)).allowed, true);
      const keys = (await first.domus.storage.db.selectFrom('throttle_buckets').select('key').execute()).map(
        (r) => r.key,
      );
      assert.deepEqual(keys.sort(), ['fast:ip:198.51.100.3', 'slow:ip:198.51.100.3']);
      // Ten seconds on, the fast bucket is full again but the slow one is not: purges delete only their own.
      assert.equal(await slow.purge(t0 + 10_000), 0);
      assert.equal(await fast.purge(t0 + 10_000), 1);
      assert.equal(await fast.purge(t0 + 7_200_000), 0, 'never the buckets of another namespace');
      assert.equal(await slow.purge(t0 + 7_200_000), 1);
      assert.throws(() => new Throttle(first.domus.storage, 'a_b%', { ratePerS: 1, burst: 1 }), /namespace/);
    });

    it('keys on X-Forwarded-For only from a trusted proxy', async () => {
      const untrusted = (ip: string) =>
        call(first.url, 'GET', CONFIGURATION, { token, headers: { 'x-forwarded-for': ip } });
      for (let i = 0; i < 3; i++) assert.equal((await untrusted(`203.0.113.${i}`)).status, 200);
      assert.equal((await untrusted('203.0.113.99')).status, 429, 'the header is ignored');

      const proxied = await startTestServer(database, {
        DOMUS_THROTTLE: '2/s,3',
        DOMUS_TRUSTED_PROXIES: '127.0.0.1',
        DOMUS_MASTER_KEY: first.domus.secrets.masterKey.toString('base64'),
      });
      try {
        const via = (ip: string) =>
          call(proxied.url, 'GET', CONFIGURATION, { token, headers: { 'x-forwarded-for': ip } });
        for (let i = 0; i < 3; i++) assert.equal((await via('203.0.113.10')).status, 200);
        assert.equal((await via('203.0.113.10')).status, 429);
        assert.equal((await via('203.0.113.11')).status, 200, 'another device behind the proxy has its own bucket');
      } finally {
        await proxied.close();
      }
    });
  });
}
