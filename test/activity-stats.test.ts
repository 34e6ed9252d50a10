/**
 * The dashboard's counts (platform/ops/activity.ts, stats-routes.ts; docs/running.md, "Activity
 * counts"): counting in memory, the additive flush and its retry after a failed write, the purge;
 * then over HTTP on every database, real joins, leaves, removals, sign-ins, logouts, decisions and
 * error answers reported by `GET /admin/v1/stats` and `domus admin stats show`; on PostgreSQL, two
 * servers on one database add up.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { Activity, MINUTE_MS, RETENTION_MINUTES } from '../src/platform/ops/activity.js';
import { DomainTotals } from '../src/platform/ops/domain-totals.js';
import { openStorage, type Storage } from '../src/platform/storage/database.js';
import { migrateToLatest } from '../src/platform/storage/migrate.js';
import { createSqlite, type TestDatabase, testDatabases } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from './support/machines.js';
import { accessToken, call } from './support/pass-client.js';
import { runDomus } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device, saveProfile, signInThroughDomus } from './support/stored-profiles.js';
import { UserAgent } from './support/user-agent.js';

const MINUTE = 29_000_000;

describe('activity counts', () => {
  let database: TestDatabase;
  let storage: Storage;
  const warnings: unknown[] = [];
  const logger = { warn: (fields: unknown) => void warnings.push(fields) };

  before(async () => {
    database = await createSqlite();
    storage = openStorage(database.target, 1);
    await migrateToLatest(storage.db);
  });
  after(async () => {
    await storage.close();
    await database.drop();
  });

  const rows = () =>
    storage.db.selectFrom('activity_minutes').selectAll().orderBy('minute').orderBy('kind').orderBy('code').execute();

  it('counts in memory by minute, kind and code, and adds each flush to the stored counts', async () => {
    let now = MINUTE * MINUTE_MS;
    const activity = new Activity(storage.db, logger, () => now);
    activity.count('join');
    activity.count('join');
    activity.count('error', 'DOM_LIMIT_REACHED');
    assert.deepEqual(await rows(), [], 'nothing is written before a flush');
    assert.equal(await activity.flush(), true);
    now += MINUTE_MS;
    activity.count('join');
    assert.equal(await activity.flush(), true);
    const other = new Activity(storage.db, logger, () => now);
    other.count('join');
    other.count('join');
    assert.equal(await other.flush(), true);
    assert.deepEqual(await rows(), [
      { minute: MINUTE, kind: 'error', code: 'DOM_LIMIT_REACHED', count: 1 },
      { minute: MINUTE, kind: 'join', code: '', count: 2 },
      { minute: MINUTE + 1, kind: 'join', code: '', count: 3 },
    ]);
    assert.deepEqual(await activity.read(MINUTE + 1, MINUTE + 1), [
      { minute: MINUTE + 1, kind: 'join', code: '', count: 3 },
    ]);
    assert.equal(await activity.flush(), true, 'an empty flush writes nothing');
  });

  it('keeps the counts of a failed flush, without throwing, and writes them with the next', async () => {
    await storage.db.deleteFrom('activity_minutes').execute();
    warnings.length = 0;
    const activity = new Activity(storage.db, logger, () => MINUTE * MINUTE_MS);
    activity.count('leave');
    await sql`alter table activity_minutes rename to activity_minutes_away`.execute(storage.db);
    try {
      assert.equal(await activity.flush(), false);
      activity.count('leave');
      assert.equal(await activity.flush(), false);
    } finally {
      await sql`alter table activity_minutes_away rename to activity_minutes`.execute(storage.db);
    }
    assert.equal(warnings.length, 2);
    assert.deepEqual(Object.keys(warnings[0] as object).sort(), ['code', 'pending', 'reason']);
    activity.count('leave');
    assert.equal(await activity.flush(), true);
    assert.deepEqual(await rows(), [{ minute: MINUTE, kind: 'leave', code: '', count: 3 }]);
  });

  it('drops pending counts past the retention instead of keeping them for ever', async () => {
    await storage.db.deleteFrom('activity_minutes').execute();
    let now = MINUTE * MINUTE_MS;
    const activity = new Activity(storage.db, logger, () => now);
    activity.count('join');
    await sql`alter table activity_minutes rename to activity_minutes_away`.execute(storage.db);
    now += (RETENTION_MINUTES + 1) * MINUTE_MS;
    try {
      assert.equal(await activity.flush(), false);
    } finally {
      await sql`alter table activity_minutes_away rename to activity_minutes`.execute(storage.db);
    }
    assert.equal(await activity.flush(), true);
    assert.deepEqual(await rows(), []);
  });

  it('purges rows older than the retention', async () => {
    await storage.db.deleteFrom('activity_minutes').execute();
    let now = MINUTE * MINUTE_MS;
    const activity = new Activity(storage.db, logger, () => now);
    activity.count('join');
    await activity.flush();
    now += RETENTION_MINUTES * MINUTE_MS;
    activity.count('join');
    await activity.flush();
    assert.equal(await activity.purge(), 0, 'exactly the retention old: kept');
    now += MINUTE_MS;
    assert.equal(await activity.purge(), 1);
    assert.deepEqual(
      (await rows()).map((row) => row.minute),
      [MINUTE + RETENTION_MINUTES],
    );
  });

  it('sums domains and members over ranges of ids; a big table’s totals are kept a while', async () => {
    const domains = 45_000;
    await sql`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${domains})
      insert into domains (mode, name, auth_required, key_rollover_required, disabled, member_count,
        created_at, updated_at, suspended)
      select case when n % 3 = 0 then 'identity' else 'anonymous' end, 'd' || n, 0, 0, 0, n % 4, 0, 0, 0
      from g`.execute(storage.db);
    const totals = new DomainTotals(storage);
    const expected = { domains: { anonymous: 30_000, identity: 15_000 }, members: 67_500 };
    assert.deepEqual(await totals.get(), expected);
    await storage.db.deleteFrom('domains').where('id', '=', 1).execute();
    assert.deepEqual(await totals.get(), expected, 'kept: read again only after a while');
    await storage.db.deleteFrom('domains').execute();
    assert.deepEqual(await new DomainTotals(storage).get(), { domains: { anonymous: 0, identity: 0 }, members: 0 });
  });
});

/** The same master key and admin token, so that two servers can share one database. */
const sharedSecrets = {
  DOMUS_DEMO: 'true',
  DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
  DOMUS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
};

for (const kind of testDatabases()) {
  describe(`GET /admin/v1/stats on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, sharedSecrets);
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    const stats = async (target: TestServer = server, query = '') => {
      await target.domus.activity.flush();
      const answer = await target.admin('GET', `/stats${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const send = (
      machine: TestMachine,
      op: 'join' | 'leave' | 'remove',
      domain: string,
      fields = {},
      url = server.url,
    ) => post(protocolUrl(url, op, { anonymous: domain }), domainRequest(machine, { op, ...fields }));
    const ok = async (machine: TestMachine, op: 'join' | 'leave' | 'remove', domain: string, fields = {}) => {
      const answer = await send(machine, op, domain, fields);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };

    it('answers empty counts, one entry per minute, oldest first', async () => {
      const body = await stats();
      const zero = { joins: 0, leaves: 0, removals: 0, signIns: 0, logouts: 0, decisions: 0, errors: {} };
      assert.deepEqual(Object.keys(body), ['at', 'domains', 'members', 'minutes', 'totals']);
      assert.deepEqual(body.domains, { anonymous: 0, identity: 0 });
      assert.equal(body.members, 0);
      assert.deepEqual(body.totals, zero);
      assert.equal(body.minutes.length, 15);
      const current = Math.floor(Date.parse(body.at) / MINUTE_MS) * MINUTE_MS;
      body.minutes.forEach((entry: { minute: string }, i: number) => {
        assert.deepEqual(entry, { minute: new Date(current - (14 - i) * MINUTE_MS).toISOString(), ...zero });
      });
    });

    it('reports joins, leaves, removals, sign-ins, logouts, decisions and errors by code', async () => {
      const [first, second, third, waiting] = await Promise.all([1, 2, 3, 4].map(() => individualize(server.url)));
      if (!first || !second || !third || !waiting) throw new Error('no machines');
      await ok(first, 'join', 'stats-home');
      await ok(second, 'join', 'stats-home');
      await ok(third, 'join', 'stats-home');
      await ok(first, 'leave', 'stats-home', { phase: 'preview' });
      await ok(first, 'leave', 'stats-home', { phase: 'commit' });
      await ok(second, 'remove', 'stats-home', { phase: 'preview', member: third.guid });
      await ok(second, 'remove', 'stats-home', { phase: 'commit', member: third.guid });
      await ok(waiting, 'join', 'stats-full');
      await server.admin('PUT', '/domains/anonymous/stats-full', { maxMembership: 1 });
      const refused = await send(first, 'join', 'stats-full');
      assert.equal(refused.body.error.name, 'DOM_LIMIT_REACHED');

      const { token, client } = await accessToken(server.url, server.admin);
      const phone = device('stats-phone');
      await saveProfile(server, { clientId: client.client_id, deviceId: phone.deviceId, mvpd: 'DemoCable' });
      const decide = (resources: unknown) =>
        call(server.url, 'POST', '/api/v2/DemoChannel/decisions/authorize/DemoCable', {
          token,
          headers: phone.headers,
          json: { resources },
        });
      assert.equal((await decide(['DemoChannel'])).body.decisions[0].authorized, true);
      assert.equal((await decide(['PremiumChannel'])).body.decisions[0].authorized, false);
      const invalid = await decide('not a list');
      assert.equal(invalid.status, 400);
      const unknown = await call(server.url, 'GET', '/api/v2/DemoChannel/no-such-thing', { token });
      assert.equal(unknown.body.code, 'not_found');

      const tablet = device('stats-tablet');
      await signInThroughDomus(server, new UserAgent(), {
        token,
        headers: tablet.headers,
        mvpd: 'DemoCable',
        user: 'alice',
      });
      const logoutPath = `/api/v2/DemoChannel/logout/DemoCable?redirectUrl=${encodeURIComponent('http://localhost:3000/bye')}`;
      const logout = await call(server.url, 'GET', logoutPath, { token, headers: tablet.headers });
      assert.equal(logout.status, 200, JSON.stringify(logout.body));
      assert.notEqual(logout.body.logouts.DemoCable.actionName, 'invalid');
      const again = await call(server.url, 'GET', logoutPath, { token, headers: tablet.headers });
      assert.equal(again.body.logouts.DemoCable.actionName, 'invalid', 'no profile left: not a logout');

      const body = await stats();
      assert.deepEqual(body.domains, { anonymous: 2, identity: 0 });
      assert.equal(body.members, 2, 'the second machine and the one waiting');
      assert.deepEqual(body.totals, {
        joins: 4,
        leaves: 1,
        removals: 1,
        signIns: 1,
        logouts: 1,
        decisions: 2,
        errors: { DOM_LIMIT_REACHED: 1, [invalid.body.code]: 1, not_found: 1 },
      });
      const summed = { joins: 0, leaves: 0, removals: 0, signIns: 0, logouts: 0, decisions: 0 };
      for (const entry of body.minutes) {
        for (const field of Object.keys(summed) as (keyof typeof summed)[]) summed[field] += entry[field];
      }
      const { errors: _errors, ...counts } = body.totals;
      assert.deepEqual(summed, counts, 'the totals are the minutes summed');
    });

    it('takes minutes from 1 to 60 and refuses anything else with 400 invalid_request', async () => {
      assert.equal((await stats(server, '?minutes=1')).minutes.length, 1);
      assert.equal((await stats(server, '?minutes=60')).minutes.length, 60);
      for (const minutes of ['0', '61', '-1', '1.5', 'abc', '', '015', '1e1']) {
        const answer = await server.admin('GET', `/stats?minutes=${minutes}`);
        assert.equal(answer.status, 400, `minutes=${minutes}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'invalid_request');
      }
      const twice = await server.admin('GET', '/stats?minutes=1&minutes=2');
      assert.equal(twice.status, 400);
    });

    it('answers 401 without the admin token, and is described in /openapi.json', async () => {
      const answer = await fetch(`${server.url}/admin/v1/stats`);
      assert.equal(answer.status, 401);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'unauthorized');
      const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { security?: unknown }>>;
      };
      assert.ok(document.paths['/admin/v1/stats']?.get?.security);
    });

    it('is what `domus admin stats show` prints', async () => {
      const result = await runDomus(['admin', 'stats', 'show', '--minutes', '3'], {
        DOMUS_PUBLIC_URL: server.url,
        DOMUS_DATA_DIR: server.dataDir,
        DOMUS_ADMIN_TOKEN: sharedSecrets.DOMUS_ADMIN_TOKEN,
      });
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout);
      assert.equal(printed.minutes.length, 3);
      assert.equal(printed.totals.leaves, 1);
      const refused = await runDomus(['admin', 'stats', 'show', '--minutes', '99'], {
        DOMUS_PUBLIC_URL: server.url,
        DOMUS_ADMIN_TOKEN: sharedSecrets.DOMUS_ADMIN_TOKEN,
      });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /minutes/);
    });

    if (kind.name === 'postgres') {
      it('adds up what two servers on one database count', async () => {
        const other = await startTestServer(database, sharedSecrets);
        try {
          const before = (await stats()).totals;
          const machine = await individualize(other.url);
          const joined = await send(machine, 'join', 'stats-other', {}, other.url);
          assert.equal(joined.status, 200, JSON.stringify(joined.body));
          await ok(machine, 'leave', 'stats-other', { phase: 'commit' });
          // The same rows, counted in both processes and flushed at once.
          for (let i = 0; i < 3; i++) server.domus.activity.count('error', 'TEST_CODE');
          for (let i = 0; i < 4; i++) other.domus.activity.count('error', 'TEST_CODE');
          await Promise.all([server.domus.activity.flush(), other.domus.activity.flush()]);
          const [here, there] = [(await stats()).totals, (await stats(other)).totals];
          assert.deepEqual(here, there, 'either server answers the same');
          assert.equal(here.joins, before.joins + 1);
          assert.equal(here.leaves, before.leaves + 1);
          assert.equal(here.errors.TEST_CODE, 7);
        } finally {
          await other.close();
        }
      });
    }
  });
}
