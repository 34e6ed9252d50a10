/**
 * Shared read caches and the change signal behind them (platform/storage/shared-cache.ts,
 * change-signal.ts), on SQLite and on PostgreSQL: two storages on one database stand for two
 * processes of a deployment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { LISTENER_NAME } from '../src/platform/storage/change-signal.js';
import { openStorage, type Storage } from '../src/platform/storage/database.js';
import { migrateToLatest } from '../src/platform/storage/migrate.js';
import { SharedCache, writeShared } from '../src/platform/storage/shared-cache.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { eventually } from './support/eventually.js';

const WAIT_MS = 5_000;

/** Polls `read` until it answers `expected` or WAIT_MS has passed; answers the last value. */
const until = <T>(read: () => Promise<T>, expected: T) => eventually(read, (value) => value === expected, WAIT_MS);

for (const kind of testDatabases()) {
  describe(`shared caches on ${kind.name}`, () => {
    let database: TestDatabase;
    let first: Storage;
    let second: Storage;

    before(async () => {
      database = await kind.create();
      first = openStorage(database.target, 2);
      second = openStorage(database.target, 2);
      await migrateToLatest(first.db);
      const now = Date.now();
      await first.db
        .insertInto('service_providers')
        .values({ id: 'SP', display_name: 'before', created_at: now, updated_at: now })
        .execute();
    });
    after(async () => {
      await first.close();
      await second.close();
      await database.drop();
    });

    /** A cache of the service provider's display name on `storage`, counting its database reads. */
    function displayNames(storage: Storage) {
      const cache = new SharedCache<string>(storage);
      let reads = 0;
      const load = async () => {
        reads++;
        const row = await storage.db
          .selectFrom('service_providers')
          .select('display_name')
          .where('id', '=', 'SP')
          .executeTakeFirst();
        return row?.display_name;
      };
      return { get: () => cache.get('SP', load), reads: () => reads, cache, load };
    }

    const rename = (storage: Storage, name: string) =>
      writeShared(storage, (trx) =>
        trx.updateTable('service_providers').set({ display_name: name }).where('id', '=', 'SP').execute(),
      );

    /** Waits until the storage's change signal is trusted (PostgreSQL: its listener is listening). */
    async function settled(storage: Storage) {
      const steady = () => {
        const version = storage.changes.version();
        return version === storage.changes.version();
      };
      assert.equal(await until(async () => steady(), true), true, 'the change signal settles');
    }

    it('answers repeated reads from memory', async () => {
      await settled(first);
      const names = displayNames(first);
      assert.equal(await names.get(), 'before');
      assert.equal(await names.get(), 'before');
      assert.equal(await names.get(), 'before');
      assert.equal(names.reads(), 1);
    });

    it('sees its own write at once and another process’s write as soon as it commits', async () => {
      await Promise.all([settled(first), settled(second)]);
      const here = displayNames(first);
      const there = displayNames(second);
      assert.equal(await here.get(), 'before');
      assert.equal(await there.get(), 'before');

      await rename(first, 'after');
      assert.equal(await here.get(), 'after', 'the writing process reads its write at once');
      assert.equal(await until(there.get, 'after'), 'after', 'the other process hears of the write');
      const reads = there.reads();
      assert.equal(await there.get(), 'after');
      assert.equal(there.reads(), reads, 'then answers from memory again');

      await rename(second, 'before');
      assert.equal(await until(here.get, 'before'), 'before');
    });

    it('does not keep a value read while a change was announced', async () => {
      await settled(first);
      const names = displayNames(first);
      // The read overlaps a write: what it read may be older than the write, so it is not kept.
      const value = await names.cache.get('SP', async () => {
        const read = await names.load();
        await rename(first, 'during');
        return read;
      });
      assert.equal(value, 'before');
      assert.equal(await names.get(), 'during');
      assert.equal(names.reads(), 2);
      await rename(first, 'before');
    });

    it('keeps only found values, and a bounded number of them', async () => {
      await settled(first);
      const cache = new SharedCache<string>(first, 2);
      let reads = 0;
      const missing = async () => {
        reads++;
        return undefined;
      };
      assert.equal(await cache.get('nothing', missing), undefined);
      assert.equal(await cache.get('nothing', missing), undefined);
      assert.equal(reads, 2, 'a miss is read again');

      const found = (value: string) => async () => {
        reads++;
        return value;
      };
      reads = 0;
      for (const key of ['a', 'b', 'c']) await cache.get(key, found(key));
      await cache.get('c', found('c'));
      await cache.get('b', found('b'));
      assert.equal(reads, 3, 'the two newest are kept');
      await cache.get('a', found('a'));
      assert.equal(reads, 4, 'the oldest went out');
    });

    it('freezes what it keeps: a caller cannot change what the next request reads', async () => {
      await settled(first);
      const cache = new SharedCache<{ list: string[] }>(first);
      const value = await cache.get('k', async () => ({ list: ['one'] }));
      assert.throws(() => value?.list.push('two'), TypeError);
      assert.deepEqual(await cache.get('k', async () => ({ list: [] })), { list: ['one'] });
    });

    if (kind.name === 'postgres') {
      it('misses no change made while its listening connection was lost', async () => {
        await settled(second);
        const there = displayNames(second);
        assert.equal(await there.get(), 'before');
        const listeners = async () =>
          Number(
            (
              await sql<{ n: string }>`select count(*) as n from pg_stat_activity
                where application_name = ${LISTENER_NAME} and datname = current_database()`.execute(first.db)
            ).rows[0]?.n,
          );
        assert.equal(await listeners(), 2);
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = ${LISTENER_NAME} and datname = current_database()`.execute(first.db);
        // Written without any announcement, and nothing asks the cache until the listeners are
        // back: only the reconnection itself can tell the cache that it missed something.
        await first.db.updateTable('service_providers').set({ display_name: 'unannounced' }).execute();
        assert.equal(await until(listeners, 0), 0, 'both listeners are gone');
        assert.equal(await until(listeners, 2), 2, 'both listeners are back');
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await there.get(), 'unannounced');
        await rename(first, 'before');
      });
    }
  });
}
