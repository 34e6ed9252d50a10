/**
 * issue 9, finding 11: the admin API's limit on wrong admin tokens per client address, on every
 * database. Past it the address gets 429 with Retry-After in the admin error shape, for every
 * request that carries a token (a correct one included, or the 429 would tell a guesser which
 * guess was right), on every process sharing the database; a correct token is never counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const ENV = {
  DOMUS_ADMIN_AUTH_LIMIT: '1/min,3',
  DOMUS_TRUSTED_PROXIES: '127.0.0.1,::1',
  DOMUS_ADMIN_TOKEN: 'the-right-admin-token-of-this-test',
};

for (const kind of testDatabases()) {
  describe(`admin API: wrong tokens per client address on ${kind.name} (issue 9)`, () => {
    let db: TestDatabase;
    let first: TestServer;
    let second: TestServer;

    before(async () => {
      db = await kind.create();
      first = await startTestServer(db, ENV);
      second = await startTestServer(db, {
        ...ENV,
        DOMUS_MASTER_KEY: first.domus.secrets.masterKey.toString('base64'),
      });
    });
    after(async () => {
      await first.close();
      await second.close();
      await db.drop();
    });

    async function get(server: TestServer, path: string, address: string, token?: string) {
      const headers: Record<string, string> = { 'x-forwarded-for': address };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${server.url}/admin/v1${path}`, { headers });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
    }

    function assertLimited(answer: Awaited<ReturnType<typeof get>>) {
      assert.equal(answer.status, 429, JSON.stringify(answer.body));
      assert.equal(answer.retryAfter, '60');
      assert.deepEqual(Object.keys(answer.body), ['error']);
      assert.equal(answer.body.error.code, 'too_many_requests');
      assert.equal(typeof answer.body.error.message, 'string');
    }

    it('never limits nor counts a correct token', async () => {
      for (let i = 0; i < 12; i++)
        assert.equal((await get(first, '/domains', '192.0.2.1', ENV.DOMUS_ADMIN_TOKEN)).status, 200);
      const buckets = await first.domus.storage.db.selectFrom('throttle_buckets').selectAll().execute();
      assert.deepEqual(buckets, [], 'nothing stored for correct tokens');
    });

    it('answers 429 past the wrong tokens an address may try, on every process and admin route', async () => {
      const address = '192.0.2.2';
      for (let i = 0; i < 3; i++) assert.equal((await get(first, '/domains', address, `guess-${i}`)).status, 401);
      assertLimited(await get(first, '/domains', address, 'guess-3'));
      assertLimited(await get(second, '/mvpds', address, 'guess-4'));
      // Blocked means blocked: the right token too, or the 429 would tell which guess was right.
      assertLimited(await get(second, '/domains', address, ENV.DOMUS_ADMIN_TOKEN));
      // No token at all is no guess: 401 as ever.
      assert.equal((await get(first, '/domains', address)).status, 401);
      // Another address is not affected.
      assert.equal((await get(first, '/domains', '192.0.2.3', ENV.DOMUS_ADMIN_TOKEN)).status, 200);
      assert.equal((await get(first, '/domains', '192.0.2.3', 'guess')).status, 401);
    });

    it('lets the address in again as its bucket refills (Retry-After)', async () => {
      const address = '192.0.2.4';
      for (let i = 0; i < 3; i++) await get(first, '/domains', address, `guess-${i}`);
      assertLimited(await get(first, '/domains', address, ENV.DOMUS_ADMIN_TOKEN));
      // One minute later, as the bucket sees it.
      await first.domus.storage.db
        .updateTable('throttle_buckets')
        .set((eb) => ({ updated_at: eb('updated_at', '-', 60_000) }))
        .where('key', 'like', '%192.0.2.4')
        .execute();
      assert.equal((await get(second, '/domains', address, ENV.DOMUS_ADMIN_TOKEN)).status, 200);
    });

    it('declares 429 in the OpenAPI document of the admin routes', async () => {
      const document = (await (await fetch(`${first.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      assert.ok(document.paths['/admin/v1/domains']?.get?.responses['429']);
      assert.ok(document.paths['/admin/v1/mvpds']?.get?.responses['429']);
    });
  });
}
