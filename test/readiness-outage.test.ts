/**
 * /readyz through a PostgreSQL outage (issue 10; docs/running.md, "Probes"): a `domus serve`
 * process whose database sits behind a TCP proxy answers /readyz 200, turns 503 naming the
 * database within a few seconds of the proxy cutting every connection (the API answers 503
 * meanwhile), and turns 200 again, with joins served, once the database is back, without a
 * restart; a database that holds the probe's query past the 2 s deadline makes it 503 too. SQLite has no outage to provoke: test/health.test.ts covers /readyz 200 on both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { msUntilServing, type OutageRig, startOutageRig } from './reliability/outage.js';
import { createPostgres, POSTGRES_URL, type TestDatabase } from './support/databases.js';
import { eventually } from './support/eventually.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
type Json = any;

/** The outage must show on /readyz within this (the probe's own deadline is 2 s). */
const DETECTED_WITHIN_MS = 5_000;
/** The change listener reconnects with a backoff of at most 10 s. */
const RECOVERED_WITHIN_MS = 30_000;

describe('/readyz through a PostgreSQL outage (issue 10)', {
  skip: POSTGRES_URL ? false : 'needs PostgreSQL: set DOMUS_TEST_DATABASE_URL',
  timeout: 120_000,
}, () => {
  let db: TestDatabase | undefined;
  let rig: OutageRig;

  before(async () => {
    db = await createPostgres(POSTGRES_URL as string);
    rig = await startOutageRig(db);
  });
  after(async () => {
    await rig?.close();
    await db?.drop();
  });

  const readyz = async () => {
    const started = Date.now();
    const response = await fetch(`${rig.server.url}/readyz`);
    return { status: response.status, body: (await response.json()) as Json, ms: Date.now() - started };
  };

  it('turns 503 naming the database within seconds of the cut, and 200 again once it is back', async () => {
    const ready = await eventually(readyz, (answer) => answer.status === 200, 10_000);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));

    await rig.proxy.cut();
    const cutAt = Date.now();
    const down = await eventually(readyz, (answer) => answer.status === 503, DETECTED_WITHIN_MS);
    const detectedMs = Date.now() - cutAt;
    assert.equal(down.status, 503, `still ready ${detectedMs} ms after the cut: ${JSON.stringify(down.body)}`);
    assert.equal(down.body.status, 'unavailable');
    assert.notEqual(down.body.checks.database, 'ok', JSON.stringify(down.body));
    assert.equal(down.body.checks.keys, 'ok');
    assert.ok(down.ms < 3_000, `a probe took ${down.ms} ms`);
    // The API answers a clear 503 meanwhile.
    const admin = await rig.server.admin('GET', '/domains');
    assert.equal(admin.status, 503);
    assert.equal(admin.body.error.code, 'unavailable');
    // Every probe during the outage answers 503, none hangs.
    for (let i = 0; i < 3; i++) assert.equal((await readyz()).status, 503);
    const health = await fetch(`${rig.server.url}/healthz`);
    assert.equal(health.status, 200, 'alive all along');

    await rig.proxy.restore();
    const back = await eventually(readyz, (answer) => answer.status === 200, RECOVERED_WITHIN_MS);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.deepEqual(back.body.checks, { database: 'ok', migrations: 'ok', keys: 'ok', changeListener: 'ok' });
    assert.ok((await msUntilServing(rig.server, 'after-outage', 10_000)) >= 0, 'a join succeeds again');
    assert.ok(rig.alive(), `the process exited:\n${rig.server.output()}`);
  });

  it('turns 503 when the database hangs past the deadline, without piling queries up', async () => {
    assert.equal((await eventually(readyz, (answer) => answer.status === 200, 10_000)).status, 200);
    // A lock that blocks the probe's query: the database is up but does not answer it.
    const locker = new pg.Client({ connectionString: db?.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table domus_migrations in access exclusive mode');
      const probes = await Promise.all([readyz(), readyz(), readyz()]);
      for (const probe of probes) {
        assert.equal(probe.status, 503);
        assert.equal(probe.body.checks.database, 'no answer within 2000 ms');
        assert.ok(probe.ms >= 1_900 && probe.ms < 3_000, `a probe took ${probe.ms} ms`);
      }
      const blocked = await locker.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      assert.equal(blocked.rows[0].n, 1, 'the probes share one query');
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
    assert.equal((await eventually(readyz, (answer) => answer.status === 200, 5_000)).status, 200);
  });
});
