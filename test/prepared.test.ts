/** Queries compiled once (platform/storage/prepared.ts), on SQLite and on PostgreSQL. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStorage, type Storage } from '../src/platform/storage/database.js';
import { migrateToLatest } from '../src/platform/storage/migrate.js';
import { prepared } from '../src/platform/storage/prepared.js';
import { type TestDatabase, testDatabases } from './support/databases.js';

for (const kind of testDatabases()) {
  describe(`prepared queries on ${kind.name}`, () => {
    let database: TestDatabase;
    let storage: Storage;

    before(async () => {
      database = await kind.create();
      storage = openStorage(database.target, 2);
      await migrateToLatest(storage.db);
      const now = Date.now();
      await storage.db
        .insertInto('service_providers')
        .values(['A', 'B', 'C'].map((id) => ({ id, display_name: `name ${id}`, created_at: now, updated_at: now })))
        .execute();
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('binds each run’s arguments where the stand-ins were, next to constant values', async () => {
      const names = prepared(storage.db, 2, (db, first: string, second: string) =>
        db
          .selectFrom('service_providers')
          .select(['id', 'display_name'])
          .where((eb) => eb.or([eb('id', '=', first), eb('id', '=', second), eb('display_name', '=', 'name C')]))
          .orderBy('id'),
      );
      assert.deepEqual(
        (await names.run('A', 'B')).map((row) => row.id),
        ['A', 'B', 'C'],
      );
      assert.deepEqual(
        (await names.run('B', 'nothing')).map((row) => row.display_name),
        ['name B', 'name C'],
      );
    });

    it('deletes and answers what it deleted, once', async () => {
      const take = prepared(storage.db, 1, (db, id: string) =>
        db.deleteFrom('service_providers').where('id', '=', id).returning(['id', 'display_name']),
      );
      assert.deepEqual(await take.run('C'), [{ id: 'C', display_name: 'name C' }]);
      assert.deepEqual(await take.run('C'), []);
    });

    it('refuses a query that does not use every argument as a value', async () => {
      const unused = prepared(storage.db, 2, (db, id: string, _ignored: string) =>
        db.selectFrom('service_providers').select('id').where('id', '=', id),
      );
      await assert.rejects(unused.run('A', 'B'), /uses 1 of its 2 arguments/);
    });
  });
}
