/**
 * Issue 11, the household's devices over HTTP on every database (docs/domain-protocol.md §14,
 * §15; docs/domain-server.md, "Household devices"): a member lists the domain's members and
 * removes another in two phases; the removal limit and its reset; a removed or evicted machine is
 * told it is no member any more; stale members are evicted by a join into a full domain;
 * suspension; every refusal changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simulatedComponents } from '../src/device/hardware.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { backdateLastSeen } from './support/last-seen.js';
import {
  domainRequest,
  individualize,
  messageId,
  post,
  protocolUrl,
  type RequestFields,
  type TestMachine,
} from './support/machines.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

type Target = { anonymous?: string };
type Op = 'join' | 'leave' | 'members' | 'remove';
const HOUR_S = 3600;

for (const kind of testDatabases()) {
  describe(`issue 11: household devices on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    const newMachine = (components?: string[]) => individualize(server.url, components);
    const token = (subject: string) => server.domus.localIssuer.mint({ subject, namespace: 'tve', ttlSeconds: 600 });

    /** Sends one protocol request; `fields` override the defaults of the operation. */
    function send(machine: TestMachine, op: Op, target: Target, fields: RequestFields = {}) {
      return post(protocolUrl(server.url, op, target), domainRequest(machine, { op, ...fields }));
    }

    async function ok(machine: TestMachine, op: Op, target: Target, fields: RequestFields = {}) {
      const answer = await send(machine, op, target, fields);
      assert.equal(answer.status, 200, `${op}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    }

    /** The request is refused with `name` and changes nothing but, at most, its message id. */
    async function refused(machine: TestMachine, op: Op, target: Target, fields: RequestFields, name: string) {
      const state = await snapshot(server.domus.storage);
      const answer = await send(machine, op, target, fields);
      assert.equal(answer.body?.error?.name, name, `${op}: ${JSON.stringify(answer.body)}`);
      const { seen_messages: _before, ...was } = state;
      const { seen_messages: _after, ...now } = await snapshot(server.domus.storage);
      assert.deepEqual(now, was, `${op} refused with ${name} changed something`);
      return answer;
    }

    /** Removes in both phases, as the device client does; answers the commit. */
    async function remove(remover: TestMachine, target: Target, member: string, fields: RequestFields = {}) {
      const preview = await ok(remover, 'remove', target, { phase: 'preview', member, ...fields });
      assert.deepEqual(preview, { ver: 5, phase: 'preview', domain: preview.domain, member, allowed: true });
      return ok(remover, 'remove', target, { phase: 'commit', member, ...fields });
    }

    async function policy(name: string, fields: Record<string, unknown>) {
      const answer = await server.admin('PUT', `/domains/anonymous/${name}`, fields);
      assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
      return answer.body;
    }

    const details = async (mode: 'anonymous' | 'identity', name: string) =>
      (await server.admin('GET', `/domains/${mode}/${encodeURIComponent(name)}`)).body;
    const events = async (mode: 'anonymous' | 'identity', name: string) =>
      (await server.admin('GET', `/domains/${mode}/${encodeURIComponent(name)}/events?limit=500`)).body.items as {
        kind: string;
        actor: { kind: string; guid?: string };
        subject: string | null;
        detail: Record<string, unknown> | null;
      }[];

    it('the server version names the household operations', async () => {
      const response = await fetch(`${server.url}/flashaccess/getServerVersion/v3`);
      assert.deepEqual((await response.json()).extensions, ['members', 'remove']);
    });

    it('a member lists every member with its label, first and last seen and which is itself, page by page', async () => {
      const target = { anonymous: 'listing' };
      const family = await Promise.all(Array.from({ length: 5 }, () => newMachine()));
      for (const [i, machine] of family.entries()) await ok(machine, 'join', target, { label: `Device ${i} ✓` });
      const asker = family[2] as TestMachine;
      const seen: { guid: string; label: string | null; firstSeen: string; lastSeen: string; self: boolean }[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await ok(asker, 'members', target, { limit: 2, ...(cursor && { cursor }) });
        assert.deepEqual(page.domain, { name: 'listing', members: 5, maxMembership: null });
        assert.ok(page.members.length <= 2);
        seen.push(...page.members);
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(
        seen.map((m) => m.guid),
        family.map((m) => m.guid).sort(),
        'every member once, in GUID order',
      );
      for (const member of seen) {
        const i = family.findIndex((m) => m.guid === member.guid);
        assert.equal(member.label, `Device ${i} ✓`);
        assert.equal(member.self, member.guid === asker.guid);
        assert.ok(Date.parse(member.firstSeen) <= Date.parse(member.lastSeen));
      }

      // A new label given at a re-join replaces the old one; none keeps it.
      await ok(family[0] as TestMachine, 'join', target, { dn: 'listing', label: 'Living room' });
      await ok(family[1] as TestMachine, 'join', target, { dn: 'listing' });
      const labels = (await ok(asker, 'members', target)).members.map((m: { label: string }) => m.label);
      assert.ok(labels.includes('Living room') && labels.includes('Device 1 ✓') && !labels.includes('Device 0 ✓'));
    });

    it('refuses bad members and remove requests with the contract error, changing nothing', async () => {
      const target = { anonymous: 'strict' };
      const [member, other, stranger] = await Promise.all([newMachine(), newMachine(), newMachine()]);
      await ok(member, 'join', target);
      await ok(other, 'join', target);
      const guid = other.guid;
      for (const [op, fields, name] of [
        ['join', { label: '' }, 'REQ_MALFORMED'],
        ['join', { label: 'x'.repeat(65) }, 'REQ_MALFORMED'],
        ['join', { label: 'tab\there' }, 'REQ_MALFORMED'],
        ['join', { label: 42 }, 'REQ_MALFORMED'],
        ['members', { limit: 0 }, 'REQ_MALFORMED'],
        ['members', { limit: 101 }, 'REQ_MALFORMED'],
        ['members', { limit: '5' }, 'REQ_MALFORMED'],
        ['members', { cursor: 'not a cursor!' }, 'REQ_MALFORMED'],
        ['members', { cursor: Buffer.from('not-a-guid').toString('base64url') }, 'REQ_MALFORMED'],
        ['members', { phase: 'preview' }, 'REQ_MALFORMED'],
        ['members', { ver: 3 }, 'REQ_UNSUPPORTED_VERSION'],
        ['remove', { phase: 'commit' }, 'REQ_MALFORMED'],
        ['remove', { member: guid }, 'REQ_MALFORMED'],
        ['remove', { phase: 'commit', member: guid.toUpperCase() }, 'REQ_MALFORMED'],
        ['remove', { phase: 'now', member: guid }, 'REQ_MALFORMED'],
        ['remove', { phase: 'commit', member: guid, op: 'leave' }, 'REQ_MALFORMED'],
        ['remove', { phase: 'commit', member: member.guid }, 'DEREG_DENIED'],
        ['remove', { phase: 'commit', member: stranger.guid }, 'DEREG_DENIED'],
      ] as const) {
        await refused(member, op, target, fields, name);
      }
      // Only members see and remove members; nobody sees an unknown domain.
      await refused(stranger, 'members', target, {}, 'DEREG_DENIED');
      await refused(stranger, 'remove', target, { phase: 'commit', member: guid }, 'DEREG_DENIED');
      await refused(member, 'members', { anonymous: 'nowhere' }, {}, 'DEREG_DENIED');
      // The v3 paths serve only the RI's operations.
      const v3 = await post(
        `${server.url}/flashaccess/domainserver/strict/flashaccess/members/v3`,
        domainRequest(member, { op: 'members', ver: 3 }),
      );
      assert.equal(v3.status, 404);
      // A replayed message id is refused like any other request's.
      const mid = messageId();
      await ok(member, 'members', target, { mid });
      await refused(member, 'members', target, { mid }, 'REQ_REPLAYED');
    });

    it('removes another member in two phases: slot freed, key rollover, the removed machine told it is no member any more', async () => {
      const target = { anonymous: 'household' };
      await policy('household', { maxMembership: 2 });
      const [tv, phone, tablet] = await Promise.all([newMachine(), newMachine(), newMachine()]);
      await ok(tv, 'join', target, { label: 'TV' });
      await ok(phone, 'join', target, { label: 'Phone' });
      await ok(tv, 'members', target);
      assert.equal((await send(tablet, 'join', target)).body.error.name, 'DOM_LIMIT_REACHED');

      // A preview changes nothing; a commit removes the machine and sets the rollover.
      const before = await snapshot(server.domus.storage);
      await ok(tv, 'remove', target, { phase: 'preview', member: phone.guid });
      const { seen_messages: _a, ...was } = before;
      const { seen_messages: _b, ...now } = await snapshot(server.domus.storage);
      assert.deepEqual(now, was, 'a preview changed domain state');
      const removed = await ok(tv, 'remove', target, { phase: 'commit', member: phone.guid });
      assert.deepEqual(removed, {
        ver: 5,
        phase: 'commit',
        domain: { name: 'household' },
        member: phone.guid,
        removed: [phone.guid],
        machineReleased: true,
      });
      const domain = await details('anonymous', 'household');
      assert.equal(domain.members, 1);
      assert.equal(domain.keyRolloverRequired, true);
      const removal = (await events('anonymous', 'household')).find((e) => e.kind === 'removed');
      assert.deepEqual(removal?.actor, { kind: 'device', guid: tv.guid });
      assert.equal(removal?.subject, phone.guid);

      // The removed machine: every request about the domain is DOM_NOT_MEMBER, a re-join included.
      await refused(phone, 'join', target, { dn: 'household' }, 'DOM_NOT_MEMBER');
      await refused(phone, 'leave', target, { phase: 'preview' }, 'DOM_NOT_MEMBER');
      await refused(phone, 'members', target, {}, 'DOM_NOT_MEMBER');
      await refused(phone, 'remove', target, { phase: 'commit', member: tv.guid }, 'DOM_NOT_MEMBER');
      // Removing it again: no such member.
      await refused(tv, 'remove', target, { phase: 'commit', member: phone.guid }, 'DEREG_DENIED');

      // The freed slot admits the third device, which gets the new key version.
      const joined = await ok(tablet, 'join', target);
      assert.deepEqual(
        joined.credentials.map((c: { keyVersion: number }) => c.keyVersion),
        [1, 2],
      );
      // A removed device that joins afresh (no dn: it deleted its credentials) is a new member.
      await remove(tv, target, tablet.guid);
      await ok(phone, 'join', target);
      const listed = (await ok(tv, 'members', target)).members.map((m: { guid: string }) => m.guid);
      assert.deepEqual(listed.sort(), [tv.guid, phone.guid].sort());
      await ok(phone, 'members', target);
    });

    it('limits removals per period, answers the next allowed time, and the operator resets the count', async () => {
      const target = { anonymous: 'limited' };
      const period = 30 * 24 * HOUR_S;
      await policy('limited', { removalLimit: { removals: 1, periodSeconds: period } });
      const [a, b, c] = await Promise.all([newMachine(), newMachine(), newMachine()]);
      for (const machine of [a, b, c]) await ok(machine, 'join', target);
      const first = Date.now();
      await remove(a, target, b.guid);

      // The second removal inside the period: refused, preview and commit alike.
      for (const phase of ['preview', 'commit']) {
        const answer = await refused(a, 'remove', target, { phase, member: c.guid }, 'DOM_REMOVAL_LIMITED');
        assert.equal(answer.status, 429);
        assert.equal(answer.body.error.code, 505);
        const next = Date.parse(answer.body.error.nextRemovalAt);
        assert.ok(next >= first + period * 1000 && next <= Date.now() + period * 1000, answer.body.error.nextRemovalAt);
        const retryAfter = Number(answer.headers.get('retry-after'));
        assert.ok(retryAfter > period - 60 && retryAfter <= period, String(retryAfter));
      }
      // Not limited: a device leaving by itself, the operator removing one.
      const [d, e] = await Promise.all([newMachine(), newMachine()]);
      await ok(d, 'join', target);
      await ok(e, 'join', target);
      await ok(d, 'leave', target, { phase: 'preview' });
      await ok(d, 'leave', target, { phase: 'commit' });
      const byOperator = await server.admin('DELETE', `/domains/anonymous/limited/members/${e.guid}`);
      assert.equal(byOperator.status, 200);
      await refused(e, 'members', target, {}, 'DOM_NOT_MEMBER');
      await refused(a, 'remove', target, { phase: 'commit', member: c.guid }, 'DOM_REMOVAL_LIMITED');

      // The operator's reset: the count is forgotten and recorded as an event.
      const reset = await server.admin('POST', '/domains/anonymous/limited/removals/reset');
      assert.deepEqual(reset.body, { forgotten: 1 });
      assert.equal((await events('anonymous', 'limited'))[0]?.kind, 'removals_reset');
      await remove(a, target, c.guid);
      await refused(c, 'join', target, { dn: 'limited' }, 'DOM_NOT_MEMBER');
      assert.equal((await server.admin('POST', '/domains/anonymous/nowhere/removals/reset')).status, 404);
      // Lifting the limit lets removals through.
      await policy('limited', { removalLimit: null });
      const f = await newMachine();
      await ok(f, 'join', target);
      await remove(a, target, f.guid);
    });

    it('evicts the longest-unseen member when a join finds the domain full, never one seen recently', async () => {
      const target = { anonymous: 'stale' };
      await policy('stale', { maxMembership: 2, evictAfterSeconds: 24 * HOUR_S });
      const [old, recent, newcomer, latecomer] = await Promise.all([
        newMachine(),
        newMachine(),
        newMachine(),
        newMachine(),
      ]);
      await ok(old, 'join', target);
      await ok(recent, 'join', target);
      // Nobody unseen long enough: the limit holds.
      await backdateLastSeen(server.domus.storage, [old.guid], 23 * HOUR_S * 1000);
      await refused(newcomer, 'join', target, {}, 'DOM_LIMIT_REACHED');
      await backdateLastSeen(server.domus.storage, [old.guid], 2 * HOUR_S * 1000);
      await backdateLastSeen(server.domus.storage, [recent.guid], 24 * HOUR_S * 1000 + 1000);

      const joined = await ok(newcomer, 'join', target);
      assert.equal(joined.member.members, 2);
      assert.deepEqual(
        joined.credentials.map((c: { keyVersion: number }) => c.keyVersion),
        [1, 2],
        'an eviction rolls the key over; this join made the new version',
      );
      const evicted = (await events('anonymous', 'stale')).find((e) => e.kind === 'evicted');
      assert.equal(evicted?.subject, old.guid, 'the longest-unseen one goes');
      assert.deepEqual(evicted?.actor, { kind: 'device', guid: newcomer.guid });
      await refused(old, 'join', target, { dn: 'stale' }, 'DOM_NOT_MEMBER');
      await refused(old, 'leave', target, { phase: 'commit' }, 'DOM_NOT_MEMBER');

      // A member's request keeps it seen: the one that called is not evicted next.
      await ok(recent, 'members', target);
      await backdateLastSeen(server.domus.storage, [newcomer.guid], 25 * HOUR_S * 1000);
      await ok(latecomer, 'join', target);
      const left = (await ok(recent, 'members', target)).members.map((m: { guid: string }) => m.guid);
      assert.deepEqual(left.sort(), [recent.guid, latecomer.guid].sort());
      const domain = await details('anonymous', 'stale');
      assert.equal(domain.members, 2);
      assert.equal(domain.policy.evictAfterSeconds, 24 * HOUR_S);
    });

    it('identity mode: a machine is as recent as its most recent app; eviction takes all its apps', async () => {
      const at = await token('household-stale');
      const name = 'tve:household-stale';
      const put = await server.admin('PUT', `/domains/identity/${encodeURIComponent(name)}`, {
        maxMembership: 2,
        evictAfterSeconds: HOUR_S,
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const laptop = simulatedComponents('stale-laptop');
      const [browser, app, console, phone] = await Promise.all([
        newMachine(laptop),
        newMachine(laptop),
        newMachine(simulatedComponents('stale-console')),
        newMachine(simulatedComponents('stale-phone')),
      ]);
      for (const machine of [browser, app, console]) await ok(machine, 'join', {}, { at });
      // The laptop's browser is old, its app recent: the laptop counts as recent; the console goes.
      await backdateLastSeen(server.domus.storage, [browser.guid], 3 * HOUR_S * 1000);
      await backdateLastSeen(server.domus.storage, [console.guid], 2 * HOUR_S * 1000);
      await ok(phone, 'join', {}, { at });
      await refused(console, 'members', {}, { at }, 'DOM_NOT_MEMBER');
      await ok(browser, 'members', {}, { at });
      // Now the laptop is the stalest: both its apps are evicted by one join.
      await backdateLastSeen(server.domus.storage, [browser.guid, app.guid], 4 * HOUR_S * 1000);
      await ok(console, 'join', {}, { at });
      const evicted = (await events('identity', name)).filter((e) => e.kind === 'evicted').map((e) => e.subject);
      assert.deepEqual(evicted.sort(), [browser.guid, app.guid, console.guid].sort());
      assert.equal((await details('identity', name)).members, 2);
    });

    it('a suspended domain refuses joins and removals with its own code and issues no credentials; leaves work', async () => {
      const target = { anonymous: 'paused' };
      const [a, b, c] = await Promise.all([newMachine(), newMachine(), newMachine()]);
      await ok(a, 'join', target);
      await ok(b, 'join', target);
      const suspended = await server.admin('POST', '/domains/anonymous/paused/suspend', { reason: 'unpaid' });
      assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
      assert.equal(suspended.body.suspended, true);
      const refusedJoin = await refused(c, 'join', target, {}, 'DOM_SUSPENDED');
      assert.deepEqual([refusedJoin.status, refusedJoin.body.error.code], [403, 506]);
      await refused(a, 'join', target, { dn: 'paused' }, 'DOM_SUSPENDED');
      await refused(a, 'remove', target, { phase: 'preview', member: b.guid }, 'DOM_SUSPENDED');
      await ok(a, 'members', target);
      await ok(b, 'leave', target, { phase: 'preview' });
      await ok(b, 'leave', target, { phase: 'commit' });
      const kinds = (await events('anonymous', 'paused')).map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === 'suspended').length, 1);
      // Suspending twice records once; resuming lets joins in again.
      assert.equal((await server.admin('POST', '/domains/anonymous/paused/suspend')).status, 200);
      assert.equal((await server.admin('POST', '/domains/anonymous/paused/suspend', { reason: '' })).status, 400);
      assert.equal((await server.admin('POST', '/domains/anonymous/paused/suspend', null)).status, 400);
      assert.equal((await events('anonymous', 'paused')).filter((e) => e.kind === 'suspended').length, 1);
      const resumed = await server.admin('POST', '/domains/anonymous/paused/resume');
      assert.equal(resumed.body.suspended, false);
      await ok(c, 'join', target);
      await ok(a, 'join', target, { dn: 'paused' });
      assert.ok((await events('anonymous', 'paused')).some((e) => e.kind === 'joined' && e.subject === c.guid));
      assert.ok((await events('anonymous', 'paused')).some((e) => e.kind === 'resumed'));
      assert.equal((await server.admin('POST', '/domains/anonymous/nowhere/suspend')).status, 404);
    });

    it('identity mode: removing a member removes its whole machine (every app on it) and needs the auth token', async () => {
      const at = await token('household-7');
      const name = 'tve:household-7';
      const hardware = simulatedComponents('household-7-laptop');
      const [browser, app, phone] = await Promise.all([
        newMachine(hardware),
        newMachine(hardware),
        newMachine(simulatedComponents('household-7-phone')),
      ]);
      for (const machine of [browser, app, phone]) await ok(machine, 'join', {}, { at });
      assert.equal((await details('identity', name)).members, 2);
      await refused(phone, 'members', {}, {}, 'DOM_AUTHENTICATION_REQUIRED');
      const listed = await ok(phone, 'members', {}, { at });
      assert.equal(listed.members.length, 3, 'one entry per registration');
      // Another app on one's own machine is not another member.
      await refused(app, 'remove', {}, { phase: 'commit', member: browser.guid, at }, 'DEREG_DENIED');

      const removed = await remove(phone, {}, app.guid, { at });
      assert.deepEqual(removed.removed, [browser.guid, app.guid].sort());
      assert.equal((await details('identity', name)).members, 1);
      await refused(browser, 'members', {}, { at }, 'DOM_NOT_MEMBER');
      const kinds = (await events('identity', name)).filter((e) => e.kind === 'removed').map((e) => e.subject);
      assert.deepEqual(kinds.sort(), [browser.guid, app.guid].sort());
    });
  });
}
