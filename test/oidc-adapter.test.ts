/** The demo providers' oidc-provider adapter over Kysely, on every database. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OidcPayloadStore } from '../src/entitlements/mvpd/demo/adapter.js';
import { openStorage, type Storage } from '../src/platform/storage/database.js';
import { migrateToLatest } from '../src/platform/storage/migrate.js';
import { type TestDatabase, testDatabases } from './support/databases.js';

for (const kind of testDatabases()) {
  describe(`oidc-provider adapter on ${kind.name}`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let now = 1_800_000_000_000;
    let store: OidcPayloadStore;
    before(async () => {
      database = await kind.create();
      storage = openStorage(database.target, 2);
      await migrateToLatest(storage.db);
      store = new OidcPayloadStore(storage, () => now);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('stores, updates, finds and destroys payloads by id and uid', async () => {
      const sessions = store.adapterFactory('DemoCable')('Session');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'alice', exp: 1 }, 60);
      assert.deepEqual(await sessions.find('s1'), { uid: 'u1', accountId: 'alice', exp: 1 });
      assert.deepEqual(await sessions.findByUid('u1'), { uid: 'u1', accountId: 'alice', exp: 1 });
      await sessions.upsert('s1', { uid: 'u1', accountId: 'bob' }, 60);
      assert.equal((await sessions.find('s1'))?.accountId, 'bob');
      await sessions.destroy('s1');
      assert.equal(await sessions.find('s1'), undefined);
      assert.equal(await sessions.findByUid('u1'), undefined);
    });

    it('keeps providers and models apart', async () => {
      await store.adapterFactory('DemoCable')('Session').upsert('shared', { uid: 'x' }, 60);
      assert.equal(await store.adapterFactory('DemoSat')('Session').find('shared'), undefined);
      assert.equal(await store.adapterFactory('DemoCable')('Interaction').find('shared'), undefined);
    });

    it('answers nothing once expired, and purges expired rows', async () => {
      const interactions = store.adapterFactory('DemoCable')('Interaction');
      await interactions.upsert('i1', { kind: 'Interaction' }, 10);
      await interactions.upsert('i2', { kind: 'Interaction' });
      now += 11_000;
      assert.equal(await interactions.find('i1'), undefined);
      assert.deepEqual(await interactions.find('i2'), { kind: 'Interaction' });
      assert.ok((await store.purgeExpired()) >= 1);
      const left = await storage.db.selectFrom('oidc_payloads').select('id').where('id', '=', 'i1').execute();
      assert.deepEqual(left, []);
    });

    it('marks consumed codes and revokes by grant', async () => {
      const codes = store.adapterFactory('DemoCable')('AuthorizationCode');
      const tokens = store.adapterFactory('DemoCable')('AccessToken');
      await codes.upsert('c1', { grantId: 'g1', accountId: 'alice' }, 60);
      await tokens.upsert('t1', { grantId: 'g1' }, 60);
      await codes.upsert('c2', { grantId: 'g2' }, 60);
      assert.equal((await codes.find('c1'))?.consumed, undefined);
      await codes.consume('c1');
      assert.equal((await codes.find('c1'))?.consumed, Math.floor(now / 1000));
      await codes.revokeByGrantId('g1');
      assert.equal(await codes.find('c1'), undefined);
      assert.ok(await tokens.find('t1'), 'each model revokes its own rows');
      await tokens.revokeByGrantId('g1');
      assert.equal(await tokens.find('t1'), undefined);
      assert.ok(await codes.find('c2'));
    });

    it('finds device-flow payloads by user code', async () => {
      const deviceCodes = store.adapterFactory('DemoCable')('DeviceCode');
      await deviceCodes.upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
      assert.deepEqual(await deviceCodes.findByUserCode('ABCD-EFGH'), { userCode: 'ABCD-EFGH' });
    });
  });
}
