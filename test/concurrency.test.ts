/**
 * Member limits under concurrency (docs/domain-protocol.md §8.1): with maxMembership = N,
 * simultaneous joins of new machines through several server processes sharing one PostgreSQL
 * database admit exactly N. Two real `domus serve` processes, one throw-away database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPostgres, POSTGRES_URL, type TestDatabase } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from './support/machines.js';
import { type DomusProcess, runDomus, startDomusServer, stopAllChildren } from './support/processes.js';

const MACHINES = 200;
const LIMIT = 5;

type Answer = Awaited<ReturnType<typeof post>>;

/** How many answers of each kind: `admitted`, or `<status> <error name>`. */
function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const kind = answer.status === 200 ? 'admitted' : `${answer.status} ${answer.body?.error?.name}`;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

describe('member limits under concurrency: two server processes on one PostgreSQL database', {
  skip: POSTGRES_URL ? false : 'needs PostgreSQL: set DOMUS_TEST_DATABASE_URL',
  timeout: 600_000,
}, () => {
  let db: TestDatabase | undefined;
  let servers: DomusProcess[] = [];
  const dataDirs: string[] = [];
  let env: Record<string, string> = {};

  /** Individualizes `count` distinct machines, alternating between the two processes. */
  const machines = (count: number) =>
    Promise.all(Array.from({ length: count }, (_, i) => individualize(serverOf(i).url)));
  const serverOf = (i: number) => servers[i % servers.length] as DomusProcess;

  /** Signs every request first, then sends them all at once, alternating between the processes. */
  const simultaneously = (requests: { path: (url: string) => string; body: string }[]) =>
    Promise.all(requests.map((request, i) => post(request.path(serverOf(i).url), request.body)));

  before(async () => {
    db = await createPostgres(POSTGRES_URL as string);
    env = {
      DOMUS_DATABASE_URL: db.url,
      DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
      DOMUS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      DOMUS_LOG_LEVEL: 'warn',
      DOMUS_THROTTLE: 'off',
    };
    for (let i = 0; i < 3; i++) dataDirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'domus-proc-')));
    // Both start at once on the empty database: concurrent first starts must agree on the
    // schema and on the server keys (Domain CA, individualization and local issuer keys).
    servers = await Promise.all(
      [0, 1].map((i) => startDomusServer({ ...env, DOMUS_PORT: '0', DOMUS_DATA_DIR: dataDirs[i] as string })),
    );
  });

  after(async () => {
    await stopAllChildren();
    await db?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('both processes share the keys: same Domain CA, and each accepts the other one’s machine tokens', async () => {
    const [a, b] = servers as [DomusProcess, DomusProcess];
    const pems = await Promise.all(
      servers.map((s) => fetch(`${s.url}/flashaccess/domain-ca.pem`).then((r) => r.text())),
    );
    assert.match(pems[0] as string, /BEGIN CERTIFICATE/);
    assert.equal(pems[0], pems[1]);
    const machine = await individualize(a.url);
    const answer = await post(protocolUrl(b.url, 'join', { anonymous: 'shared-keys' }), domainRequest(machine));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it(`anonymous domain with maxMembership ${LIMIT}: exactly ${LIMIT} of ${MACHINES} simultaneous joins are admitted`, async () => {
    const [a, b] = servers as [DomusProcess, DomusProcess];
    const name = 'crowded-living-room';
    const put = await a.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: LIMIT });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal(put.body.policy.maxMembership, LIMIT);

    const crowd = await machines(MACHINES);
    assert.equal(new Set(crowd.map((m) => m.guid)).size, MACHINES);
    const joinPath = (url: string) => protocolUrl(url, 'join', { anonymous: name });
    const answers = await simultaneously(crowd.map((m) => ({ path: joinPath, body: domainRequest(m) })));

    assert.deepEqual(tally(answers), { admitted: LIMIT, '403 DOM_LIMIT_REACHED': MACHINES - LIMIT });
    for (const refused of answers.filter((answer) => answer.status === 403)) {
      assert.equal(refused.body.error.code, 502);
    }
    const admitted = answers.filter((answer) => answer.status === 200);
    // Serialized admissions: each admitted join saw a different member count, 1 to N.
    assert.deepEqual(
      admitted.map((answer) => answer.body.member.members).sort((x: number, y: number) => x - y),
      [1, 2, 3, 4, 5],
    );
    // Every admitted machine got the one key version 1 (no duplicate first keys).
    for (const answer of admitted)
      assert.deepEqual(
        answer.body.credentials.map((c: { keyVersion: number }) => c.keyVersion),
        [1],
      );

    for (const server of [a, b]) {
      const details = await server.admin('GET', `/domains/anonymous/${name}`);
      assert.equal(details.status, 200);
      assert.equal(details.body.members, LIMIT);
      assert.deepEqual(
        details.body.keyVersions.map((k: { version: number }) => k.version),
        [1],
      );
    }
    const members = await b.admin('GET', `/domains/anonymous/${name}/members?limit=500`);
    assert.equal(members.status, 200);
    const admittedGuids = admitted.map((answer) => answer.body.member.guid as string).sort();
    assert.deepEqual(members.body.items.map((m: { guid: string }) => m.guid).sort(), admittedGuids);

    // One member leaves: of the refused machines retrying all at once, exactly one gets the slot.
    const leaver = crowd.find((m) => m.guid === admittedGuids[0]) as TestMachine;
    const left = await post(
      protocolUrl(a.url, 'leave', { anonymous: name }),
      domainRequest(leaver, { op: 'leave', phase: 'commit' }),
    );
    assert.equal(left.status, 200, JSON.stringify(left.body));
    assert.equal(left.body.machineReleased, true);
    const refusedMachines = crowd.filter((m) => !admittedGuids.includes(m.guid));
    const retries = await simultaneously(refusedMachines.map((m) => ({ path: joinPath, body: domainRequest(m) })));
    assert.deepEqual(tally(retries), { admitted: 1, '403 DOM_LIMIT_REACHED': MACHINES - LIMIT - 1 });
    const refilled = await b.admin('GET', `/domains/anonymous/${name}`);
    assert.equal(refilled.body.members, LIMIT);
    // The leave set key rollover: the newcomer's join made key version 2.
    assert.deepEqual(
      refilled.body.keyVersions.map((k: { version: number }) => k.version),
      [1, 2],
    );
    // docs/domain-server.md, "Events": one per change, newest first, none for a refused join.
    const events = await a.admin('GET', `/domains/anonymous/${name}/events?limit=500`);
    assert.deepEqual(
      events.body.items.map((e: { kind: string }) => e.kind),
      ['rolled_over', 'joined', 'left', ...Array(LIMIT).fill('joined'), 'created'],
    );
  });

  it(`identity domain with the default limit ${LIMIT}: exactly ${LIMIT} of ${MACHINES} simultaneous joins are admitted`, async () => {
    const [a, b] = servers as [DomusProcess, DomusProcess];
    // A token from another process of the deployment: the command line, on the same database.
    const minted = await runDomus(['token', 'mint', '--sub', 'u', '--nq', 'ns'], {
      ...env,
      DOMUS_DATA_DIR: dataDirs[2] as string,
    });
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

    const crowd = await machines(MACHINES);
    const joinPath = (url: string) => protocolUrl(url, 'join', {});
    const answers = await simultaneously(crowd.map((m) => ({ path: joinPath, body: domainRequest(m, { at: token }) })));

    assert.deepEqual(tally(answers), { admitted: LIMIT, '403 DOM_LIMIT_REACHED': MACHINES - LIMIT });
    const admitted = answers.filter((answer) => answer.status === 200);
    for (const answer of admitted) {
      assert.equal(answer.body.domain.name, 'ns:u');
      assert.equal(answer.body.domain.mode, 'identity');
      assert.equal(answer.body.member.maxMembership, LIMIT);
    }
    assert.deepEqual(
      admitted.map((answer) => answer.body.member.members).sort((x: number, y: number) => x - y),
      [1, 2, 3, 4, 5],
    );
    for (const server of [a, b]) {
      const details = await server.admin('GET', `/domains/identity/${encodeURIComponent('ns:u')}`);
      assert.equal(details.status, 200, JSON.stringify(details.body));
      assert.equal(details.body.members, LIMIT);
      assert.equal(details.body.policy.maxMembership, LIMIT);
    }
    const members = await a.admin('GET', `/domains/identity/${encodeURIComponent('ns:u')}/members?limit=500`);
    assert.deepEqual(
      members.body.items.map((m: { guid: string }) => m.guid).sort(),
      admitted.map((answer) => answer.body.member.guid).sort(),
    );
    // The domain was created once, by whichever first join won (docs/domain-server.md, "Events").
    const events = await b.admin('GET', `/domains/identity/${encodeURIComponent('ns:u')}/events?limit=500`);
    const kinds = events.body.items.map((e: { kind: string }) => e.kind);
    assert.deepEqual(kinds, [...Array(LIMIT).fill('joined'), 'created']);
    const subjects = events.body.items.slice(0, LIMIT).map((e: { subject: string }) => e.subject);
    assert.deepEqual(subjects.sort(), admitted.map((answer) => answer.body.member.guid).sort());
  });

  it('both processes shut down cleanly on SIGTERM', async () => {
    const codes = await Promise.all(servers.map((server) => server.stop()));
    assert.deepEqual(codes, [0, 0], servers.map((server) => server.output()).join('\n'));
  });
});
