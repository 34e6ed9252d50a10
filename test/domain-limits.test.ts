/**
 * issue 9, finding 11: rate limits of the domain protocol, on every database. Domain creation
 * and new memberships are limited per machine GUID and per client address (IPv6: /64), with
 * `104 REQ_RATE_LIMITED`, HTTP 429 and Retry-After; a refused join creates nothing, other
 * machines and addresses are not affected, a member re-joining is never counted, and the limits
 * hold across server processes sharing one PostgreSQL database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPostgres, POSTGRES_URL, type TestDatabase, testDatabases } from './support/databases.js';
import { domainRequest, individualize, protocolUrl, type TestMachine } from './support/machines.js';
import { type DomusProcess, startDomusServer, stopAllChildren } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

const LIMITS = {
  DOMUS_DOMAIN_CREATE_LIMIT_MACHINE: '1/h,2',
  DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS: '1/h,3',
  DOMUS_DOMAIN_JOIN_LIMIT_MACHINE: '1/h,3',
  DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS: '1/h,6',
  // Tests tell client addresses apart with X-Forwarded-For, believed from the loopback only.
  DOMUS_TRUSTED_PROXIES: '127.0.0.1,::1',
};

interface Answer {
  status: number;
  retryAfter: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  body: any;
}

/** Joins `name` (anonymous) or an identity domain, as a client at `address`. */
async function join(url: string, machine: TestMachine, name: string, address: string, at?: string): Promise<Answer> {
  const target = name === '' ? {} : { anonymous: name };
  const response = await fetch(protocolUrl(url, 'join', target), {
    method: 'POST',
    headers: { 'content-type': 'application/jose', 'x-forwarded-for': address },
    body: domainRequest(machine, at === undefined ? {} : { at }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

function assertRateLimited(answer: Answer, retryAfterS: number): void {
  assert.equal(answer.status, 429, JSON.stringify(answer.body));
  assert.equal(answer.retryAfter, String(retryAfterS));
  assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'ver']);
  assert.equal(answer.body.ver, 5);
  assert.equal(answer.body.error.code, 104);
  assert.equal(answer.body.error.name, 'REQ_RATE_LIMITED');
  assert.match(answer.body.error.message, /too many/);
}

for (const kind of testDatabases()) {
  describe(`domain protocol rate limits on ${kind.name} (issue 9)`, () => {
    let db: TestDatabase;
    let server: TestServer;

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, LIMITS);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    const domainCount = async () => (await server.domus.storage.db.selectFrom('domains').select('id').execute()).length;
    /** Refused with REQ_RATE_LIMITED, and nothing stored changed. */
    const refused = async (answer: Promise<Answer>, retryAfterS: number) => {
      const state = await snapshot(server.domus.storage);
      assertRateLimited(await answer, retryAfterS);
      assert.deepEqual(await snapshot(server.domus.storage), state, 'a refused join changed stored state');
    };

    it('limits the domains one machine creates; another machine is not affected', async () => {
      const address = '198.51.100.1';
      const [a, b] = [await individualize(server.url), await individualize(server.url)];
      for (const name of ['a-1', 'a-2']) assert.equal((await join(server.url, a, name, address)).status, 200);
      const before = await domainCount();
      await refused(join(server.url, a, 'a-3', address), 3600);
      assert.equal(await domainCount(), before, 'nothing created');
      assert.equal((await join(server.url, b, 'b-1', address)).status, 200, 'a second machine creates');
      // Joining domains that exist creates nothing: the creation limit does not apply.
      assert.equal((await join(server.url, a, 'b-1', address)).status, 200);
      assert.equal((await join(server.url, a, 'a-1', address)).status, 200, 'a member re-joins');
    });

    it('limits the domains one client address creates, whatever the machine', async () => {
      const machines = await Promise.all([1, 2, 3].map(() => individualize(server.url)));
      const [m1, m2, m3] = machines as [TestMachine, TestMachine, TestMachine];
      assert.equal((await join(server.url, m1, 'addr-1', '2001:db8:1:2::1')).status, 200);
      assert.equal((await join(server.url, m1, 'addr-2', '2001:db8:1:2::2')).status, 200);
      assert.equal((await join(server.url, m2, 'addr-3', '2001:db8:1:2:aaaa::3')).status, 200);
      await refused(join(server.url, m3, 'addr-4', '2001:db8:1:2::4'), 3600);
      assert.equal((await join(server.url, m3, 'addr-4', '2001:db8:1:3::1')).status, 200, 'another /64');
    });

    it('counts only what is created: a join refused after the creation gives its token back', async () => {
      const machine = await individualize(server.url);
      const address = '198.51.100.2';
      for (let i = 0; i < 3; i++) {
        const response = await fetch(protocolUrl(server.url, 'join', { anonymous: `back-${i}` }), {
          method: 'POST',
          headers: { 'content-type': 'application/jose', 'x-forwarded-for': address },
          body: domainRequest(machine, { dn: 'another-domain' }),
        });
        assert.equal(response.status, 403, 'DOM_REG_DENIED after the domain was (tentatively) created');
      }
      assert.equal((await join(server.url, machine, 'back-a', address)).status, 200);
      assert.equal((await join(server.url, machine, 'back-b', address)).status, 200);
    });

    it('limits the memberships a machine adds, never a member re-joining', async () => {
      const address = '198.51.100.3';
      for (const name of ['club-1', 'club-2', 'club-3', 'club-4']) {
        const put = await server.admin('PUT', `/domains/anonymous/${name}`, {});
        assert.equal(put.status, 201, JSON.stringify(put.body));
      }
      const machine = await individualize(server.url);
      for (const name of ['club-1', 'club-2', 'club-3']) {
        assert.equal((await join(server.url, machine, name, address)).status, 200);
      }
      await refused(join(server.url, machine, 'club-4', address), 3600);
      for (let i = 0; i < 5; i++) {
        assert.equal((await join(server.url, machine, 'club-1', address)).status, 200, 're-joins are not counted');
      }
      const other = await individualize(server.url);
      assert.equal((await join(server.url, other, 'club-4', address)).status, 200, 'another machine joins');
    });

    it('limits the memberships one client address adds, identity domains included', async () => {
      const address = '203.0.113.9';
      const token = (subject: string) =>
        server.domus.localIssuer.mint({ subject, namespace: 'limits', ttlSeconds: 600 });
      const owner = await individualize(server.url);
      assert.equal((await join(server.url, owner, '', '203.0.113.10', await token('pat'))).status, 200);
      const crowd = await Promise.all(Array.from({ length: 7 }, () => individualize(server.url)));
      for (const machine of crowd.slice(0, 6)) {
        assert.equal((await join(server.url, machine, 'hall', address)).status, 200);
      }
      await refused(join(server.url, crowd[6] as TestMachine, 'hall', address), 3600);
      await refused(join(server.url, crowd[6] as TestMachine, '', address, await token('pat')), 3600);
      assert.equal((await join(server.url, crowd[6] as TestMachine, 'hall', '203.0.113.10')).status, 200);
    });

    it('declares 429 in the OpenAPI document of the join routes', async () => {
      const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
        paths: Record<string, { post: { responses: Record<string, unknown> } }>;
      };
      for (const route of [
        '/flashaccess/domain/v4',
        '/flashaccess/domainserver/{domainName}/flashaccess/domain/v3',
        '/flashaccess/remove/v4',
      ]) {
        assert.ok(document.paths[route]?.post.responses['429'], route);
      }
      for (const route of ['/flashaccess/dereg/v4', '/flashaccess/members/v4', '/flashaccess/indiv/v1']) {
        assert.equal(document.paths[route]?.post.responses['429'], undefined, `${route} is not limited`);
      }
    });
  });
}

describe('domain creation limit across two server processes on one PostgreSQL database (issue 9)', {
  skip: POSTGRES_URL ? false : 'needs PostgreSQL: set DOMUS_TEST_DATABASE_URL',
  timeout: 120_000,
}, () => {
  let db: TestDatabase | undefined;
  let servers: DomusProcess[] = [];
  const dataDirs: string[] = [];

  before(async () => {
    db = await createPostgres(POSTGRES_URL as string);
    const env = {
      DOMUS_DATABASE_URL: db.url,
      DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
      DOMUS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      DOMUS_LOG_LEVEL: 'warn',
      DOMUS_PORT: '0',
      DOMUS_DOMAIN_CREATE_LIMIT_MACHINE: '1/h,4',
    };
    for (let i = 0; i < 2; i++) dataDirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'domus-limits-')));
    servers = await Promise.all(dataDirs.map((dir) => startDomusServer({ ...env, DOMUS_DATA_DIR: dir })));
  });
  after(async () => {
    await stopAllChildren();
    await db?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a machine creates its 4 domains and no more, whichever process it asks, even all at once', async () => {
    const [first, second] = servers as [DomusProcess, DomusProcess];
    const machine = await individualize(first.url);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        join((i % 2 === 0 ? first : second).url, machine, `shared-${i}`, '127.0.0.1'),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
    for (const answer of answers.filter((a) => a.status === 429)) assertRateLimited(answer, 3600);
    const listed = await first.admin('GET', '/domains?mode=anonymous');
    assert.equal(listed.body.items.length, 4, JSON.stringify(listed.body));
    assertRateLimited(await join(second.url, machine, 'shared-later', '127.0.0.1'), 3600);
  });
});
