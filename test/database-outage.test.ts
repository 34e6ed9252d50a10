/**
 * A PostgreSQL outage under load (issue 9, finding 1; docs/reliability.md): a `domus serve`
 * process whose database connections are terminated by the server (SQLSTATE 57P01, as in a
 * restart or failover) or cut by the network must stay up, answer the requests it cannot serve
 * with a clear 503 in each wire format's shape, and serve again by itself once the database is
 * back. The database sits behind a TCP proxy the test cuts and restores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { joinLoad, msUntilServing, type OutageRig, startOutageRig } from './reliability/outage.js';
import { createPostgres, POSTGRES_URL, type TestDatabase } from './support/databases.js';
import { individualize } from './support/machines.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SERVED_OR_UNAVAILABLE = /^(200|503 SERVER_UNAVAILABLE)$/;

describe('a PostgreSQL outage under load (issue 9)', {
  skip: POSTGRES_URL ? false : 'needs PostgreSQL: set DOMUS_TEST_DATABASE_URL',
  timeout: 180_000,
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

  it('stays up when PostgreSQL terminates its connections mid-transaction (SQLSTATE 57P01)', async () => {
    const load = joinLoad(rig.server, 'terminated');
    for (let round = 0; round < 6; round++) {
      await sleep(300);
      await rig.terminateBackends();
    }
    await sleep(300);
    const tally = await load.stop();
    assert.ok(rig.alive(), `the process exited:\n${rig.server.output()}`);
    for (const kind of Object.keys(tally)) assert.match(kind, SERVED_OR_UNAVAILABLE, JSON.stringify(tally));
    assert.ok((tally['200'] ?? 0) > 0, JSON.stringify(tally));
    assert.ok((await msUntilServing(rig.server, 'terminated', 10_000)) >= 0);
  });

  it('answers 503 in every wire format while the database is unreachable, and recovers by itself', async () => {
    const { server, proxy, adminToken } = rig;
    const consoleCookie = await consoleSignIn(server.url, adminToken);
    const load = joinLoad(server, 'cut-off');
    await sleep(500);
    await proxy.cut();
    await sleep(1500);

    // Each wire format its own 503 shape, with Retry-After.
    const machine = await individualize(server.url).catch((error: Error) => error.message);
    assert.match(String(machine), /individualization failed: 503 .*"name":"SERVER_UNAVAILABLE"/);
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

    // The console's sign-in: a readable 503, no cookie; its session on the admin API: 503 too.
    const signIn = () =>
      fetch(`${server.url}/console/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ credential: adminToken }).toString(),
        redirect: 'manual',
      });
    const refused = await signIn();
    assert.equal(refused.status, 503);
    assert.ok(refused.headers.get('retry-after'));
    assert.equal(refused.headers.get('set-cookie'), null);
    assert.match(await refused.text(), /database is unavailable/);
    const bySession = await fetch(`${server.url}/admin/v1/domains`, { headers: { cookie: consoleCookie } });
    assert.equal(bySession.status, 503);

    await sleep(1000);
    await proxy.restore();
    // New requests succeed as soon as the database is back, with no restart.
    const recoveryMs = await msUntilServing(server, 'cut-off', 20_000);
    const tally = await load.stop();
    assert.ok(recoveryMs >= 0, 'no join succeeded within 20 s of the database coming back');
    assert.ok(rig.alive(), `the process exited:\n${server.output()}`);
    for (const kind of Object.keys(tally)) assert.match(kind, SERVED_OR_UNAVAILABLE, JSON.stringify(tally));
    assert.ok((tally['503 SERVER_UNAVAILABLE'] ?? 0) > 0, JSON.stringify(tally));
    // The console signs in again, and the session made before the outage still holds.
    assert.equal((await signIn()).status, 303);
    assert.equal((await fetch(`${server.url}/admin/v1/domains`, { headers: { cookie: consoleCookie } })).status, 200);
  });
});

/** Signs in to the console; answers its cookie (`name=value`). */
async function consoleSignIn(url: string, credential: string): Promise<string> {
  const response = await fetch(`${url}/console/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ credential }).toString(),
    redirect: 'manual',
  });
  assert.equal(response.status, 303);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
}
