/**
 * The operator's admin API for domains (docs/domain-server.md, "Admin API"), on every test
 * database.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { simulatedComponents } from '../src/device/hardware.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { backdateLastSeen } from './support/last-seen.js';
import { domainRequest, individualize, messageId, post, protocolUrl, type TestMachine } from './support/machines.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

for (const kind of testDatabases()) {
  describe(`admin API on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_THROTTLE: 'off' });
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    const raw = (method: string, pathname: string, headers: Record<string, string> = {}, body?: unknown) =>
      fetch(`${server.url}/admin/v1${pathname}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const join = (machine: TestMachine, anonymous: string) =>
      post(protocolUrl(server.url, 'join', { anonymous }), domainRequest(machine));
    const joinIdentity = (machine: TestMachine, token: string) =>
      post(protocolUrl(server.url, 'join', {}), domainRequest(machine, { at: token }));
    const leave = (machine: TestMachine, anonymous: string) =>
      post(protocolUrl(server.url, 'leave', { anonymous }), domainRequest(machine, { op: 'leave', phase: 'commit' }));
    const listAll = async (query: string, pageSize: number) => {
      const names: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await server.admin(
          'GET',
          `/domains?limit=${pageSize}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.items.length <= pageSize);
        names.push(...page.body.items.map((item: { mode: string; name: string }) => `${item.mode}/${item.name}`));
        cursor = page.body.nextCursor;
        pages++;
        assert.ok(pages <= 100, 'pagination does not end');
      } while (cursor);
      return { names, pages };
    };

    describe('authentication', () => {
      const unauthorized = async (response: Response) => {
        assert.equal(response.status, 401);
        const body = await response.json();
        assert.deepEqual(Object.keys(body), ['error']);
        assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
        assert.equal(body.error.code, 'unauthorized');
      };

      it('answers 401 and nothing but the error without a token, with a wrong one, or with another scheme', async () => {
        await server.admin('PUT', '/domains/anonymous/secret-domain', { maxMembership: 2 });
        const wrong = `${server.adminToken}x`;
        for (const headers of <Record<string, string>[]>[
          {},
          { authorization: `Bearer ${wrong}` },
          { authorization: 'Bearer ' },
          { authorization: `Basic ${Buffer.from(`admin:${server.adminToken}`).toString('base64')}` },
          { authorization: server.adminToken },
        ]) {
          await unauthorized(await raw('GET', '/domains', headers));
          await unauthorized(await raw('GET', '/domains/anonymous/secret-domain', headers));
          await unauthorized(await raw('GET', '/domains/anonymous/secret-domain/members', headers));
        }
      });

      it('changes nothing for a request without a valid token', async () => {
        const before = await snapshot(server.domus.storage);
        const wrong = { authorization: 'Bearer not-the-admin-token' };
        await unauthorized(await raw('PUT', '/domains/anonymous/intruder', wrong, { maxMembership: 1 }));
        await unauthorized(await raw('PUT', '/domains/anonymous/secret-domain', {}, { disabled: true }));
        await unauthorized(await raw('POST', '/domains/anonymous/secret-domain/rollover', wrong));
        await unauthorized(await raw('DELETE', `/domains/anonymous/secret-domain/members/${randomUUID()}`));
        assert.deepEqual(await snapshot(server.domus.storage), before);
        assert.equal((await server.admin('GET', '/domains/anonymous/intruder')).status, 404);
      });
    });

    describe('listing domains', () => {
      const anonymous = Array.from({ length: 7 }, (_, i) => `list-${i}`);
      const identity = ['listns:user-0', 'listns:user-1', 'listns:user-2'];

      before(async () => {
        for (const name of anonymous) {
          assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, {})).status, 201);
        }
        for (const name of identity) {
          const put = await server.admin('PUT', `/domains/identity/${encodeURIComponent(name)}`, {});
          assert.equal(put.status, 201, JSON.stringify(put.body));
        }
        for (const name of ['odd_one', 'oddXone', 'odd%one']) {
          // '%' is not allowed in an anonymous name; only the first two exist.
          await server.admin('PUT', `/domains/anonymous/${encodeURIComponent(name)}`, {});
        }
      });

      it('follows nextCursor through every domain, page by page, without duplicates', async () => {
        const everything = await listAll('', 500);
        assert.equal(everything.pages, 1);
        const paged = await listAll('', 3);
        assert.ok(paged.pages >= 4);
        assert.equal(new Set(paged.names).size, paged.names.length);
        assert.deepEqual(paged.names, everything.names);
        for (const name of anonymous) assert.ok(paged.names.includes(`anonymous/${name}`), name);
        for (const name of identity) assert.ok(paged.names.includes(`identity/${name}`), name);
      });

      it('filters by mode', async () => {
        const identities = await listAll('&mode=identity', 2);
        assert.deepEqual(identities.names.sort(), identity.map((name) => `identity/${name}`).sort());
        const anonymousOnes = await listAll('&mode=anonymous', 2);
        assert.ok(anonymousOnes.names.every((name) => name.startsWith('anonymous/')));
        assert.ok(anonymousOnes.names.length >= anonymous.length);
      });

      it('filters by part of the name, with pagination', async () => {
        const found = await listAll('&q=list-', 2);
        assert.equal(found.pages, 4);
        assert.deepEqual(found.names.sort(), anonymous.map((name) => `anonymous/${name}`).sort());
        const user1 = await listAll(`&q=${encodeURIComponent('user-1')}`, 50);
        assert.deepEqual(user1.names, ['identity/listns:user-1']);
        assert.deepEqual((await listAll('&q=no-such-domain', 50)).names, []);
        assert.deepEqual((await listAll('&q=list-&mode=identity', 50)).names, []);
      });

      it('finds the domains a machine GUID is a member of (issue 12)', async () => {
        const machine = await individualize(server.url);
        for (const name of ['list-1', 'list-4']) assert.equal((await join(machine, name)).status, 200);
        const found = await listAll(`&member=${machine.guid}`, 1);
        assert.deepEqual(found.names.sort(), ['anonymous/list-1', 'anonymous/list-4']);
        assert.deepEqual((await listAll(`&member=${machine.guid}&q=list-4`, 50)).names, ['anonymous/list-4']);
        assert.deepEqual((await listAll(`&member=${machine.guid}&mode=identity`, 50)).names, []);
        assert.deepEqual((await listAll('&member=no-such-guid', 50)).names, []);
      });

      it('takes q literally: LIKE wildcards in it match only themselves', async () => {
        assert.deepEqual((await listAll(`&q=${encodeURIComponent('odd_')}`, 50)).names, ['anonymous/odd_one']);
        assert.deepEqual((await listAll(`&q=${encodeURIComponent('_')}`, 50)).names, ['anonymous/odd_one']);
        assert.deepEqual((await listAll(`&q=${encodeURIComponent('%')}`, 50)).names, []);
      });

      it('refuses a bad cursor, mode or limit with 400', async () => {
        for (const query of [
          'cursor=not-a-cursor!',
          `cursor=${Buffer.from('-4').toString('base64url')}`,
          'mode=other',
          'limit=0',
          'limit=many',
          'member=',
          `member=${'x'.repeat(65)}`,
        ]) {
          const answer = await server.admin('GET', `/domains?${query}`);
          assert.equal(answer.status, 400, `${query}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.error.code, 'invalid_request');
        }
      });
    });

    describe('domain policy', () => {
      it('PUT creates (201) with the mode defaults for fields left out, then updates (200) only the given fields', async () => {
        const created = await server.admin('PUT', '/domains/anonymous/policy-a', { maxMembership: 3 });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(created.body.mode, 'anonymous');
        assert.equal(created.body.name, 'policy-a');
        assert.equal(created.body.serverUrl, `${server.url}/flashaccess/domainserver/policy-a`);
        assert.deepEqual(created.body.policy, {
          authRequired: false,
          authNamespace: null,
          maxMembership: 3,
          disabled: false,
          removalLimit: null,
          evictAfterSeconds: null,
          keyRetentionSeconds: null,
        });
        assert.equal(created.body.members, 0);
        assert.deepEqual(created.body.keyVersions, []);

        const updated = await server.admin('PUT', '/domains/anonymous/policy-a', {
          authRequired: true,
          authNamespace: 'DemoCable',
        });
        assert.equal(updated.status, 200, JSON.stringify(updated.body));
        assert.deepEqual(updated.body.policy, {
          authRequired: true,
          authNamespace: 'DemoCable',
          maxMembership: 3,
          disabled: false,
          removalLimit: null,
          evictAfterSeconds: null,
          keyRetentionSeconds: null,
        });
        const unlimited = await server.admin('PUT', '/domains/anonymous/policy-a', {
          maxMembership: null,
          authNamespace: null,
          disabled: true,
        });
        assert.equal(unlimited.status, 200);
        assert.deepEqual(unlimited.body.policy, {
          authRequired: true,
          authNamespace: null,
          maxMembership: null,
          disabled: true,
          removalLimit: null,
          evictAfterSeconds: null,
          keyRetentionSeconds: null,
        });
        const closed = await server.admin('PUT', '/domains/anonymous/policy-a', { maxMembership: 0 });
        assert.equal(closed.body.policy.maxMembership, 0);
        const reopened = await server.admin('PUT', '/domains/anonymous/policy-a', { maxMembership: null });
        assert.equal(reopened.body.policy.maxMembership, null);
        const unchanged = await server.admin('PUT', '/domains/anonymous/policy-a', {});
        assert.equal(unchanged.status, 200);
        assert.deepEqual(unchanged.body.policy, unlimited.body.policy);
        assert.deepEqual((await server.admin('GET', '/domains/anonymous/policy-a')).body.policy, unlimited.body.policy);
      });

      it('an identity domain gets the identity defaults; its server URL is the root', async () => {
        const created = await server.admin('PUT', `/domains/identity/${encodeURIComponent('ns:carol')}`, {});
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(created.body.name, 'ns:carol');
        assert.equal(created.body.serverUrl, server.url);
        assert.equal(created.body.policy.authRequired, true);
        assert.equal(created.body.policy.maxMembership, 5);
      });

      it('the policy set is the one joins obey', async () => {
        await server.admin('PUT', '/domains/anonymous/policy-limit', { maxMembership: 1 });
        const first = await join(await individualize(server.url), 'policy-limit');
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.member.maxMembership, 1);
        const second = await join(await individualize(server.url), 'policy-limit');
        assert.equal(second.status, 403);
        assert.equal(second.body.error.name, 'DOM_LIMIT_REACHED');
        const unlimited = await server.admin('PUT', '/domains/anonymous/policy-limit', { maxMembership: null });
        assert.equal(unlimited.body.policy.maxMembership, null);
        const third = await join(await individualize(server.url), 'policy-limit');
        assert.equal(third.status, 200, JSON.stringify(third.body));
        assert.equal(third.body.member.maxMembership, null);
        assert.equal(third.body.member.members, 2);
        await server.admin('PUT', '/domains/anonymous/policy-limit', { disabled: true });
        const disabled = await join(await individualize(server.url), 'policy-limit');
        assert.equal(disabled.body.error?.name, 'DOM_REG_DENIED');
      });

      it('names of the full allowed length work through the protocol and the admin API', async () => {
        const long = `${'n'.repeat(64)}:${'m'.repeat(63)}`;
        assert.equal(long.length, 128);
        const joined = await join(await individualize(server.url), long);
        assert.equal(joined.status, 200, JSON.stringify(joined.body));
        assert.equal(joined.body.domain.name, long);
        const details = await server.admin('GET', `/domains/anonymous/${encodeURIComponent(long)}`);
        assert.equal(details.status, 200, JSON.stringify(details.body));
        assert.equal(details.body.members, 1);
        const user = `ns:${'é'.repeat(200)}`;
        const put = await server.admin('PUT', `/domains/identity/${encodeURIComponent(user)}`, {});
        assert.equal(put.status, 201, JSON.stringify(put.body));
        assert.equal(put.body.name, user);
      });

      it('refuses invalid input with 400 (never 500) and changes nothing', async () => {
        await server.admin('PUT', '/domains/anonymous/policy-b', { maxMembership: 2 });
        const before = await snapshot(server.domus.storage);
        const cases: [string, unknown][] = [
          ['/domains/anonymous/policy-b', { maxMembership: -1 }],
          ['/domains/anonymous/policy-b', { maxMembership: 2.5 }],
          ['/domains/anonymous/policy-b', { authRequired: 'yes' }],
          ['/domains/anonymous/policy-b', { authNamespace: '' }],
          ['/domains/anonymous/policy-b', { maxMembership: 3, color: 'blue' }],
          ['/domains/anonymous/policy-b', { disabled: true, memberCount: 0 }],
          ['/domains/anonymous/policy-b', [1, 2]],
          ['/domains/anonymous/policy-b', 'maxMembership'],
          ['/domains/anonymous/policy-b', null],
          ['/domains/anonymous/new-one', { maxMembership: -1 }],
          ['/domains/anonymous/new-one', { unknown: true }],
          [`/domains/anonymous/${encodeURIComponent('bad name')}`, {}],
          [`/domains/anonymous/${encodeURIComponent('a/b')}`, {}],
          [`/domains/anonymous/${encodeURIComponent('é')}`, {}],
          [`/domains/anonymous/${'x'.repeat(129)}`, {}],
          ['/domains/identity/no-namespace', {}],
          [`/domains/identity/${encodeURIComponent(':user')}`, {}],
        ];
        for (const [pathname, body] of cases) {
          const answer = await server.admin('PUT', pathname, body);
          assert.equal(answer.status, 400, `${pathname} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.error.code, 'invalid_request');
        }
        for (const pathname of ['/domains/household/policy-b', '/domains/ANONYMOUS/policy-b', '/domains//policy-b']) {
          const answer = await server.admin('PUT', pathname, { maxMembership: 9 });
          assert.ok([400, 404].includes(answer.status), `${pathname}: ${answer.status}`);
        }
        const malformed = await fetch(`${server.url}/admin/v1/domains/anonymous/policy-b`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
          body: '{"maxMembership": 4',
        });
        assert.equal(malformed.status, 400);
        assert.deepEqual(await snapshot(server.domus.storage), before);
      });
    });

    describe('domain details, members, removal and rollover', () => {
      const name = 'family';
      let family: TestMachine[];

      before(async () => {
        assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: 5 })).status, 201);
        family = [];
        for (let i = 0; i < 5; i++) {
          const machine = await individualize(server.url);
          const joined = await join(machine, name);
          assert.equal(joined.status, 200, JSON.stringify(joined.body));
          family.push(machine);
        }
      });

      it('GET shows policy, member count and key versions; 404 for an unknown domain', async () => {
        const details = await server.admin('GET', `/domains/anonymous/${name}`);
        assert.equal(details.status, 200);
        assert.equal(details.body.members, 5);
        assert.equal(details.body.policy.maxMembership, 5);
        assert.equal(details.body.keyRolloverRequired, false);
        assert.deepEqual(
          details.body.keyVersions.map((k: { version: number }) => k.version),
          [1],
        );
        assert.ok(!Number.isNaN(Date.parse(details.body.keyVersions[0].createdAt)));
        for (const pathname of [
          '/domains/anonymous/nobody-home',
          `/domains/identity/${encodeURIComponent(`x:${name}`)}`,
        ]) {
          const missing = await server.admin('GET', pathname);
          assert.equal(missing.status, 404);
          assert.equal(missing.body.error.code, 'not_found');
        }
      });

      it('lists members page by page: guid, machine, first and last seen', async () => {
        const seen: {
          guid: string;
          machine: { slot: number; components: string[] };
          firstSeen: string;
          lastSeen: string;
        }[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await server.admin(
            'GET',
            `/domains/anonymous/${name}/members?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          );
          assert.equal(page.status, 200, JSON.stringify(page.body));
          assert.ok(page.body.items.length <= 2);
          seen.push(...page.body.items);
          cursor = page.body.nextCursor;
          pages++;
          assert.ok(pages <= 10, 'pagination does not end');
        } while (cursor);
        assert.equal(pages, 3);
        assert.deepEqual(seen.map((m) => m.guid).sort(), family.map((m) => m.guid).sort());
        assert.equal(new Set(seen.map((m) => m.machine.slot)).size, 5);
        for (const member of seen) {
          const machine = family.find((m) => m.guid === member.guid) as TestMachine;
          assert.deepEqual(member.machine.components, machine.components);
          assert.ok(Date.parse(member.firstSeen) <= Date.parse(member.lastSeen));
        }
        const missing = await server.admin('GET', '/domains/anonymous/nobody-home/members');
        assert.equal(missing.status, 404);
      });

      it('a re-join updates lastSeen, not firstSeen', async () => {
        const machine = family[0] as TestMachine;
        const find = async () =>
          (await server.admin('GET', `/domains/anonymous/${name}/members?limit=500`)).body.items.find(
            (m: { guid: string }) => m.guid === machine.guid,
          );
        // Seen within the last minutes: a re-join writes nothing for it (issue 11).
        const recent = await find();
        assert.equal((await join(machine, name)).status, 200);
        assert.equal((await find()).lastSeen, recent.lastSeen);
        await backdateLastSeen(server.domus.storage, [machine.guid]);
        const before = await find();
        assert.equal((await join(machine, name)).status, 200);
        const afterRejoin = await find();
        assert.equal(afterRejoin.firstSeen, before.firstSeen);
        assert.ok(Date.parse(afterRejoin.lastSeen) > Date.parse(before.lastSeen));
      });

      it('DELETE of a member is a committed leave: 404 for unknown guid or domain, else slot freed and rollover set', async () => {
        const full = await join(await individualize(server.url), name);
        assert.equal(full.body.error?.name, 'DOM_LIMIT_REACHED');
        const before = await snapshot(server.domus.storage);
        for (const pathname of [
          `/domains/anonymous/${name}/members/${randomUUID()}`,
          `/domains/anonymous/nobody-home/members/${(family[0] as TestMachine).guid}`,
          `/domains/identity/${encodeURIComponent(`x:${name}`)}/members/${(family[0] as TestMachine).guid}`,
        ]) {
          const missing = await server.admin('DELETE', pathname);
          assert.equal(missing.status, 404, pathname);
          assert.equal(missing.body.error.code, 'not_found');
        }
        assert.deepEqual(await snapshot(server.domus.storage), before);

        const removedMachine = family[1] as TestMachine;
        const removed = await server.admin('DELETE', `/domains/anonymous/${name}/members/${removedMachine.guid}`);
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        assert.deepEqual(removed.body, { removed: true, machineReleased: true });
        const details = await server.admin('GET', `/domains/anonymous/${name}`);
        assert.equal(details.body.members, 4);
        assert.equal(details.body.keyRolloverRequired, true);
        const again = await server.admin('DELETE', `/domains/anonymous/${name}/members/${removedMachine.guid}`);
        assert.equal(again.status, 404);

        // The removed machine is told it is no member any more (issue 11); its freed slot admits a new
        // machine, with a new key.
        const left = await leave(removedMachine, name);
        assert.equal(left.status, 403);
        assert.equal(left.body.error.name, 'DOM_NOT_MEMBER');
        const newcomer = await join(await individualize(server.url), name);
        assert.equal(newcomer.status, 200, JSON.stringify(newcomer.body));
        assert.deepEqual(
          newcomer.body.credentials.map((c: { keyVersion: number }) => c.keyVersion),
          [1, 2],
        );
        const refreshed = await server.admin('GET', `/domains/anonymous/${name}`);
        assert.equal(refreshed.body.members, 5);
        assert.equal(refreshed.body.keyRolloverRequired, false);
      });

      it('POST rollover: the next join generates the next key version; 404 for an unknown domain', async () => {
        const rolled = await server.admin('POST', `/domains/anonymous/${name}/rollover`);
        assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
        assert.equal(rolled.body.keyRolloverRequired, true);
        assert.deepEqual(
          rolled.body.keyVersions.map((k: { version: number }) => k.version),
          [1, 2],
        );
        const rejoined = await join(family[0] as TestMachine, name);
        assert.equal(rejoined.status, 200);
        assert.deepEqual(
          rejoined.body.credentials.map((c: { keyVersion: number }) => c.keyVersion),
          [1, 2, 3],
        );
        const details = await server.admin('GET', `/domains/anonymous/${name}`);
        assert.equal(details.body.keyRolloverRequired, false);
        assert.deepEqual(
          details.body.keyVersions.map((k: { version: number }) => k.version),
          [1, 2, 3],
        );
        assert.equal((await server.admin('POST', '/domains/anonymous/nobody-home/rollover')).status, 404);
      });

      it('identity mode: DELETE of one of two registrations on a machine keeps its slot', async () => {
        const token = await server.domus.localIssuer.mint({ subject: 'dave', namespace: 'admin-ns', ttlSeconds: 600 });
        const domainPath = `/domains/identity/${encodeURIComponent('admin-ns:dave')}`;
        const components = simulatedComponents(messageId());
        const app = await individualize(server.url, components);
        const browser = await individualize(server.url, components);
        assert.equal((await joinIdentity(app, token)).status, 200);
        assert.equal((await joinIdentity(browser, token)).status, 200);
        const members = await server.admin('GET', `${domainPath}/members`);
        assert.equal(members.body.items.length, 2);
        assert.equal(members.body.items[0].machine.slot, members.body.items[1].machine.slot);
        assert.equal((await server.admin('GET', domainPath)).body.members, 1);

        const first = await server.admin('DELETE', `${domainPath}/members/${app.guid}`);
        assert.deepEqual(first.body, { removed: true, machineReleased: false });
        let details = await server.admin('GET', domainPath);
        assert.equal(details.body.members, 1);
        assert.equal(details.body.keyRolloverRequired, false);
        const second = await server.admin('DELETE', `${domainPath}/members/${browser.guid}`);
        assert.deepEqual(second.body, { removed: true, machineReleased: true });
        details = await server.admin('GET', domainPath);
        assert.equal(details.body.members, 0);
        assert.equal(details.body.keyRolloverRequired, true);
      });
    });

    describe('OpenAPI', () => {
      it('serves /openapi.json listing the admin and the protocol paths', async () => {
        const response = await fetch(`${server.url}/openapi.json`);
        assert.equal(response.status, 200);
        const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
        assert.match(document.openapi, /^3\./);
        const expected: [string, string][] = [
          ['/admin/v1/domains', 'get'],
          ['/admin/v1/domains/{mode}/{name}', 'get'],
          ['/admin/v1/domains/{mode}/{name}', 'put'],
          ['/admin/v1/domains/{mode}/{name}/members', 'get'],
          ['/admin/v1/domains/{mode}/{name}/events', 'get'],
          ['/admin/v1/domains/{mode}/{name}/members/{guid}', 'delete'],
          ['/admin/v1/domains/{mode}/{name}/rollover', 'post'],
          ['/flashaccess/domain/v4', 'post'],
          ['/flashaccess/domain/v3', 'post'],
          ['/flashaccess/dereg/v4', 'post'],
          ['/flashaccess/dereg/v3', 'post'],
          ['/flashaccess/domainserver/{domainName}/flashaccess/domain/v4', 'post'],
          ['/flashaccess/domainserver/{domainName}/flashaccess/dereg/v4', 'post'],
          ['/flashaccess/getServerVersion/v3', 'get'],
          ['/flashaccess/indiv/v1', 'post'],
          ['/flashaccess/domain-ca.pem', 'get'],
        ];
        for (const [pathname, method] of expected) {
          assert.ok(document.paths[pathname]?.[method], `${method.toUpperCase()} ${pathname} is missing`);
        }
        assert.ok(!document.paths['/openapi.json'], 'the document itself is hidden');
      });
    });
  });
}
