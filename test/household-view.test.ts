/**
 * The admin API's household view on every database (docs/entitlement-api.md, "Household view"):
 * a viewer signed in through the demo MVPD end to end, whose device takes a household domain token
 * and joins the identity domain with the bundled device client, is shown by household id — the
 * profile beside the domain member; newest profiles first, expired ones left out; a household
 * without a household id found by its user id; an escaped domain name; the `mvpd` filter; unknown
 * households, bad ids and missing tokens; `domus admin households get`; profiles made before the
 * upgrade (found after the next sign-in); the migration, down and up.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DeviceClient } from '../src/device/device-client.js';
import { simulatedComponents } from '../src/device/hardware.js';
import { openStorage } from '../src/platform/storage/database.js';
import { migrateTo, migrateToLatest } from '../src/platform/storage/migrate.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken, call } from './support/pass-client.js';
import { runDomus, stopAllChildren } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device, saveProfile, signInThroughDomus } from './support/stored-profiles.js';
import { UserAgent } from './support/user-agent.js';

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const kind of testDatabases()) {
  describe(`household view on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let clientId: string;
    const dirs: string[] = [];

    const household = (id: string, query = '') => server.admin('GET', `/households/${encodeURIComponent(id)}${query}`);

    /** Stores a profile of `household` at `mvpd` that began `ageMs` ago (ordering needs exact times). */
    async function storeProfile(deviceId: string, mvpd: string, household: string, ageMs: number, ttlMs = 3_600_000) {
      const now = Date.now();
      return server.domus.entitlements.profiles.save({
        clientId,
        deviceId,
        serviceProviderId: 'DemoChannel',
        mvpdId: mvpd,
        code: null,
        sessionId: randomBytes(16).toString('hex'),
        attributes: { userID: { value: 'someone', state: 'plain' } },
        upstream: { subject: 'someone', entitlements: [], householdId: household, idToken: null },
        notBefore: now - ageMs,
        notAfter: now - ageMs + ttlMs,
      });
    }

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      const registered = await accessToken(server.url, server.admin);
      token = registered.token;
      clientId = registered.client.client_id;
    });
    after(async () => {
      await stopAllChildren();
      await server.close();
      await database.drop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('shows a viewer signed in through the demo MVPD beside the device that joined the household domain', async () => {
      const phone = device('household-view-phone');
      await signInThroughDomus(server, new UserAgent(), {
        token,
        headers: phone.headers,
        mvpd: 'DemoCable',
        user: 'carol',
      });

      // Signed in, nobody joined yet: the profile, and the domain the household would join.
      const signedIn = await household('household-2');
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.householdId, 'household-2');
      assert.equal(signedIn.body.mvpds.length, 1);
      const [cable] = signedIn.body.mvpds;
      assert.equal(cable.mvpd, 'DemoCable');
      assert.equal(typeof cable.displayName, 'string');
      assert.equal(cable.profiles.length, 1);
      const [profile] = cable.profiles;
      assert.deepEqual(Object.keys(profile).sort(), [
        'clientId',
        'deviceId',
        'notAfter',
        'notBefore',
        'serviceProvider',
      ]);
      assert.equal(profile.serviceProvider, 'DemoChannel');
      assert.equal(profile.deviceId, phone.deviceId);
      assert.equal(profile.clientId, clientId);
      assert.match(profile.notBefore, ISO_TIME);
      assert.match(profile.notAfter, ISO_TIME);
      assert.ok(profile.notBefore < profile.notAfter);
      assert.deepEqual(cable.domain, {
        mode: 'identity',
        name: 'DemoCable:household-2',
        exists: false,
        memberCount: 0,
        members: [],
        nextCursor: null,
      });

      // The device takes a household domain token and joins the identity domain.
      const issued = await call(server.url, 'POST', '/api/v2/DemoChannel/tokens/domain/DemoCable', {
        token,
        headers: phone.headers,
      });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-household-view-'));
      dirs.push(dir);
      const machine = new DeviceClient(dir, { components: simulatedComponents('household-view-machine') });
      await machine.individualize(server.url);
      const joined = await machine.join(server.url, issued.body.token, { label: 'Phone' });
      assert.equal(joined.name, 'DemoCable:household-2');

      const afterJoin = await household('household-2');
      assert.equal(afterJoin.status, 200, JSON.stringify(afterJoin.body));
      const [{ domain, profiles }] = afterJoin.body.mvpds;
      assert.deepEqual(profiles, [profile]);
      assert.equal(domain.name, 'DemoCable:household-2');
      assert.equal(domain.exists, true);
      assert.equal(domain.memberCount, 1);
      assert.equal(domain.nextCursor, null);
      assert.equal(domain.members.length, 1);
      const [member] = domain.members;
      assert.deepEqual(Object.keys(member).sort(), ['firstSeen', 'guid', 'label', 'lastSeen']);
      assert.equal(member.guid, machine.status().guid);
      assert.equal(member.label, 'Phone');
      assert.match(member.firstSeen, ISO_TIME);
      assert.match(member.lastSeen, ISO_TIME);

      // The same as the domain's own members listing.
      const listed = await server.admin('GET', `/domains/identity/${encodeURIComponent(domain.name)}/members`);
      assert.deepEqual(
        listed.body.items.map(({ guid, label }: { guid: string; label: string }) => ({ guid, label })),
        [{ guid: member.guid, label: 'Phone' }],
      );

      // Filtered by MVPD: the same entry; another MVPD has nothing; an unknown one is 404.
      assert.deepEqual((await household('household-2', '?mvpd=DemoCable')).body, afterJoin.body);
      assert.deepEqual((await household('household-2', '?mvpd=DemoSat')).body, {
        householdId: 'household-2',
        mvpds: [],
      });
      const unknown = await household('household-2', '?mvpd=NoSuchMvpd');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
    });

    it('lists current profiles newest first, finds a household by user id, escapes the domain name', async () => {
      await storeProfile(device('ordered-old').deviceId, 'DemoCable', 'ordered', 30_000);
      await storeProfile(device('ordered-new').deviceId, 'DemoCable', 'ordered', 10_000);
      await storeProfile(device('ordered-mid').deviceId, 'DemoCable', 'ordered', 20_000);
      await storeProfile(device('ordered-expired').deviceId, 'DemoCable', 'ordered', 60_000, 30_000);
      const ordered = await household('ordered');
      assert.equal(ordered.status, 200, JSON.stringify(ordered.body));
      assert.deepEqual(
        ordered.body.mvpds[0].profiles.map((p: { deviceId: string }) => p.deviceId),
        ['ordered-new', 'ordered-mid', 'ordered-old'].map((id) => device(id).deviceId),
      );

      // A profile without a household id: the user is the household, as for its domain tokens.
      const tablet = device('household-view-tablet');
      await saveProfile(server, {
        clientId,
        deviceId: tablet.deviceId,
        mvpd: 'DemoSat',
        user: 'dave',
        householdId: null,
      });
      const dave = await household('dave');
      assert.deepEqual(
        dave.body.mvpds.map((m: { mvpd: string; profiles: unknown[] }) => [m.mvpd, m.profiles.length]),
        [['DemoSat', 1]],
      );
      assert.equal(dave.body.mvpds[0].domain.name, 'DemoSat:dave');

      // "%" and ":" are escaped in the domain name, as joins name it.
      await storeProfile(device('escaped').deviceId, 'DemoCable', 'flat:3%b/c ü', 1000);
      const escaped = await household('flat:3%b/c ü');
      assert.equal(escaped.status, 200, JSON.stringify(escaped.body));
      assert.equal(escaped.body.householdId, 'flat:3%b/c ü');
      assert.equal(escaped.body.mvpds[0].domain.name, 'DemoCable:flat%3A3%25b/c ü');
    });

    it('answers an empty list for an unknown household, 400 for a bad id, 401 without the admin token', async () => {
      assert.deepEqual(await household('nobody-here'), {
        status: 200,
        body: { householdId: 'nobody-here', mvpds: [] },
      });
      for (const bad of ['tab\there', 'line\nbreak', `del\u007f`, 'x'.repeat(257)]) {
        const answer = await household(bad);
        assert.equal(answer.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'invalid_request');
      }
      assert.equal((await household('x'.repeat(256))).status, 200);
      const empty = await server.admin('GET', '/households/');
      assert.equal(empty.status, 400, JSON.stringify(empty.body));
      assert.equal(empty.body.error.code, 'invalid_request');
      const badMvpd = await household('household-2', '?mvpd=not%20an%20id');
      assert.equal(badMvpd.status, 400);
      assert.equal(badMvpd.body.error.code, 'invalid_request');

      const anonymous = await fetch(`${server.url}/admin/v1/households/household-2`);
      assert.equal(anonymous.status, 401);
      const wrong = await fetch(`${server.url}/admin/v1/households/household-2`, {
        headers: { authorization: 'Bearer not-the-token' },
      });
      assert.equal(wrong.status, 401);
    });

    it('is what `domus admin households get` prints', async () => {
      const env = { DOMUS_PUBLIC_URL: server.url, DOMUS_DATA_DIR: server.dataDir };
      const printed = await runDomus(['admin', 'households', 'get', 'household-2', '--mvpd', 'DemoCable'], env);
      assert.equal(printed.code, 0, printed.stderr);
      assert.deepEqual(JSON.parse(printed.stdout), (await household('household-2', '?mvpd=DemoCable')).body);
      const bad = await runDomus(['admin', 'households', 'get', 'tab\there'], env);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /invalid_request|householdId/);
    });

    it('finds a profile stored before the upgrade once its viewer signs in again', async () => {
      const before = await storeProfile(device('before-upgrade').deviceId, 'DemoCable', 'upgraded', 1000);
      // As the migration leaves the profiles it finds: no household.
      await server.domus.storage.db
        .updateTable('profiles')
        .set({ household: null })
        .where('id', '=', before.id)
        .execute();
      assert.deepEqual((await household('upgraded')).body.mvpds, []);
      await storeProfile(device('before-upgrade').deviceId, 'DemoCable', 'upgraded', 500);
      assert.equal((await household('upgraded')).body.mvpds[0].profiles.length, 1);
    });

    it('is described in /openapi.json', async () => {
      const document = await (await fetch(`${server.url}/openapi.json`)).json();
      const operation = document.paths['/admin/v1/households/{householdId}']?.get;
      assert.ok(operation, 'the household view is in the OpenAPI document');
      assert.ok(operation.responses['200']);
      assert.ok(operation.parameters.some((p: { name: string }) => p.name === 'mvpd'));
    });
  });
}

for (const kind of testDatabases()) {
  describe(`migration 2026-12-06-05-profile-households on ${kind.name}`, () => {
    it('adds the household column and its index, and goes down and up again', async () => {
      const database = await kind.create();
      const storage = openStorage(database.target, 2);
      const households = () => sql`select household from profiles where mvpd_id = ${'m'}`.execute(storage.db);
      try {
        await migrateTo(storage.db, '2026-12-06-03-registration-guid-index');
        await assert.rejects(households());
        await migrateTo(storage.db, '2026-12-06-05-profile-households');
        assert.deepEqual((await households()).rows, []);
        await migrateTo(storage.db, '2026-12-06-03-registration-guid-index');
        await assert.rejects(households());
        await migrateToLatest(storage.db);
        assert.deepEqual((await households()).rows, []);
      } finally {
        await storage.close();
        await database.drop();
      }
    });
  });
}
