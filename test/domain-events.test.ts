/**
 * Domain events (docs/domain-server.md, "Events", issue 11): one event per membership change,
 * in the change's transaction, read newest first through the admin API and purged after the
 * retention; on every test database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { purgeEvents } from '../src/domains/events.js';
import { ConfigError, loadConfig } from '../src/platform/config.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from './support/machines.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

const DAY_MS = 86_400_000;

interface Event {
  at: string;
  kind: string;
  actor: { kind: string; guid?: string };
  subject: string | null;
  keyVersion: number | null;
  detail: Record<string, unknown> | null;
}

describe('DOMUS_DOMAIN_EVENT_RETENTION', () => {
  it('is 90 days by default, a duration, or off; anything else is refused', () => {
    assert.equal(loadConfig({}).domainEventRetentionS, 90 * 86_400);
    assert.equal(loadConfig({ DOMUS_DOMAIN_EVENT_RETENTION: '12h' }).domainEventRetentionS, 43_200);
    assert.equal(loadConfig({ DOMUS_DOMAIN_EVENT_RETENTION: '30min' }).domainEventRetentionS, 1800);
    assert.equal(loadConfig({ DOMUS_DOMAIN_EVENT_RETENTION: 'off' }).domainEventRetentionS, null);
    for (const bad of ['90', '0d', '-1d', '1w', '1.5d', 'forever']) {
      assert.throws(() => loadConfig({ DOMUS_DOMAIN_EVENT_RETENTION: bad }), ConfigError, bad);
    }
  });
});

for (const kind of testDatabases()) {
  describe(`domain events on ${kind.name}`, () => {
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

    const join = (machine: TestMachine, name: string) =>
      post(protocolUrl(server.url, 'join', { anonymous: name }), domainRequest(machine));
    const leave = (machine: TestMachine, name: string, phase: 'preview' | 'commit') =>
      post(protocolUrl(server.url, 'leave', { anonymous: name }), domainRequest(machine, { op: 'leave', phase }));
    const eventsOf = async (name: string): Promise<Event[]> => {
      const answer = await server.admin('GET', `/domains/anonymous/${name}/events?limit=500`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.items;
    };
    /** A new anonymous domain made through the admin API, and its row id. */
    const createdDomain = async (name: string) => {
      assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, {})).status, 201);
      return server.domus.storage.db
        .selectFrom('domains')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
    };
    /** The events recorded since `count` events were there, oldest first, without their times. */
    const since = async (name: string, count: number) =>
      (await eventsOf(name))
        .slice(0, -count || undefined)
        .reverse()
        .map(({ at: _at, ...event }) => event);

    it('records each membership change once, with its actor, subject and key version', async () => {
      const name = 'events-kinds';
      const [a, b] = [await individualize(server.url), await individualize(server.url)] as [TestMachine, TestMachine];
      const device = (machine: TestMachine) => ({ kind: 'device', guid: machine.guid });
      const operator = { kind: 'operator' };
      const none = { subject: null, keyVersion: null, detail: null };

      assert.equal((await join(a, name)).status, 200);
      assert.deepEqual(await since(name, 0), [
        { kind: 'created', actor: device(a), ...none },
        { kind: 'joined', actor: device(a), ...none, subject: a.guid },
      ]);

      // A member re-joining, on the lock-free path, changes nothing and records nothing.
      assert.equal((await join(a, name)).status, 200);
      assert.equal((await eventsOf(name)).length, 2);

      assert.equal((await join(b, name)).status, 200);
      assert.equal((await leave(b, name, 'preview')).status, 200);
      assert.equal((await leave(b, name, 'commit')).status, 200);
      assert.deepEqual(await since(name, 2), [
        { kind: 'joined', actor: device(b), ...none, subject: b.guid },
        { kind: 'left', actor: device(b), ...none, subject: b.guid, detail: { machineReleased: true } },
      ]);

      // The next join makes key version 2 (docs/domain-server.md, "Key rollover").
      assert.equal((await join(a, name)).status, 200);
      assert.deepEqual(await since(name, 4), [{ kind: 'rolled_over', actor: device(a), ...none, keyVersion: 2 }]);

      assert.equal((await server.admin('POST', `/domains/anonymous/${name}/rollover`)).status, 200);
      assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: 7 })).status, 200);
      // The same policy again changes nothing.
      assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: 7 })).status, 200);
      assert.equal((await server.admin('DELETE', `/domains/anonymous/${name}/members/${a.guid}`)).status, 200);
      assert.deepEqual(await since(name, 5), [
        { kind: 'rollover_requested', actor: operator, ...none },
        { kind: 'policy_changed', actor: operator, ...none, detail: { maxMembership: 7 } },
        { kind: 'removed', actor: operator, ...none, subject: a.guid, detail: { machineReleased: true } },
      ]);

      assert.equal((await server.admin('PUT', '/domains/anonymous/events-by-operator', {})).status, 201);
      assert.deepEqual(await since('events-by-operator', 0), [{ kind: 'created', actor: operator, ...none }]);
    });

    it('records nothing for a refused request', async () => {
      const name = 'events-refused';
      assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: 1 })).status, 201);
      const member = await individualize(server.url);
      assert.equal((await join(member, name)).status, 200);
      const stranger = await individualize(server.url);
      const state = await snapshot(server.domus.storage);
      const full = await join(stranger, name);
      assert.equal(full.body?.error?.name, 'DOM_LIMIT_REACHED');
      const notMember = await leave(stranger, name, 'commit');
      assert.equal(notMember.body?.error?.name, 'DEREG_DENIED');
      assert.equal((await server.admin('DELETE', `/domains/anonymous/${name}/members/${stranger.guid}`)).status, 404);
      assert.equal((await server.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: -1 })).status, 400);
      assert.deepEqual(await snapshot(server.domus.storage), state);
      assert.deepEqual(
        (await eventsOf(name)).map((event) => event.kind),
        ['joined', 'created'],
      );
    });

    it('leaves no event of a change rolled back: a first join refused after it created the domain', async () => {
      const stranger = await individualize(server.url);
      const state = await snapshot(server.domus.storage);
      const url = protocolUrl(server.url, 'join', { anonymous: 'events-rolled-back' });
      const refused = await post(url, domainRequest(stranger, { dn: 'another-domain' }));
      assert.equal(refused.body?.error?.name, 'DOM_REG_DENIED', JSON.stringify(refused.body));
      assert.deepEqual(await snapshot(server.domus.storage), state);
    });

    it('pages newest first with a working cursor', async () => {
      const name = 'events-paged';
      for (let i = 0; i < 7; i++) {
        const put = await server.admin('PUT', `/domains/anonymous/${name}`, { maxMembership: i + 1 });
        assert.equal(put.status, i === 0 ? 201 : 200);
      }
      const all = await eventsOf(name);
      assert.deepEqual(
        all.map((event) => event.detail?.maxMembership ?? event.kind),
        [7, 6, 5, 4, 3, 2, 'created'],
      );
      const times = all.map((event) => Date.parse(event.at));
      assert.deepEqual(
        times,
        [...times].sort((x, y) => y - x),
      );

      const paged: Event[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await server.admin('GET', `/domains/anonymous/${name}/events?limit=3${query}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.items.length <= 3);
        paged.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(paged, all);
    });

    it('answers bad query parameters and unknown domains with the admin error', async () => {
      const name = 'events-paged';
      const notANumber = Buffer.from('x').toString('base64url');
      for (const query of [
        'limit=0',
        'limit=501',
        'limit=abc',
        'limit=1.5',
        `cursor=${notANumber}`,
        `cursor=${'A'.repeat(65)}`,
      ]) {
        const answer = await server.admin('GET', `/domains/anonymous/${name}/events?${query}`);
        assert.equal(answer.status, 400, query);
        assert.equal(answer.body.error.code, 'invalid_request', query);
      }
      const unknown = await server.admin('GET', '/domains/anonymous/no-such-domain/events');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      assert.equal((await server.admin('GET', `/domains/other/${name}/events`)).status, 400);
    });

    it('purges only the events older than the retention', async () => {
      const name = 'events-purged';
      const storage = server.domus.storage;
      const domain = await createdDomain(name);
      const now = Date.now();
      const row = (at: number) => ({ domain_id: domain.id, at, kind: 'joined', actor_kind: 'operator' });
      await storage.db
        .insertInto('domain_events')
        .values([row(now - 91 * DAY_MS), row(now - 91 * DAY_MS), row(now - 89 * DAY_MS)])
        .execute();
      assert.equal((await eventsOf(name)).length, 4);

      // The default retention, 90 days, through the module the purge interval calls.
      assert.ok((await server.domus.domains.purgeEvents()) >= 2);
      const kept = await eventsOf(name);
      assert.equal(kept.length, 2);
      assert.ok(kept.every((event) => Date.parse(event.at) > now - 90 * DAY_MS));

      assert.equal(await purgeEvents(storage.db, now - 90 * DAY_MS), 0);
    });

    it('purges a backlog larger than one batch', async () => {
      const name = 'events-backlog';
      const storage = server.domus.storage;
      const domain = await createdDomain(name);
      const old = Date.now() - 100 * DAY_MS;
      const rows = Array.from({ length: 2500 }, () => ({
        domain_id: domain.id,
        at: old,
        kind: 'joined',
        actor_kind: 'operator',
      }));
      for (let i = 0; i < rows.length; i += 500) {
        await storage.db
          .insertInto('domain_events')
          .values(rows.slice(i, i + 500))
          .execute();
      }
      assert.equal(await purgeEvents(storage.db, old + 1), 2500);
      assert.deepEqual(
        (await eventsOf(name)).map((event) => event.kind),
        ['created'],
      );
    });
  });
}
