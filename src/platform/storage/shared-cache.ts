/**
 * A process-local read cache of rows every process shares and that seldom change (the operator
 * model, client registrations), kept true by the change signal (change-signal.ts):
 *
 * - `get` answers from memory while the signal's version is the one the cache was filled
 *   under; any change anywhere in the deployment empties it, whole.
 * - A value read while a change was announced is answered but not kept (the read may predate
 *   the change), so the cache never keeps anything older than the last announcement it heard.
 * - Only found values are kept (an unknown key costs a read each time, and an attacker cannot
 *   fill the memory with misses); at most `maxEntries`, the oldest out first.
 * - Every request gets the same object: it is frozen, deeply, before it is kept.
 *
 * Writers use `writeShared`: their transaction announces the change as it commits, and this
 * process's caches are stale as soon as it returns.
 */
import type { Kysely } from 'kysely';
import type { Storage } from './database.js';
import type { Database } from './schema.js';
import { transaction } from './transaction.js';

export class SharedCache<V> {
  readonly #entries = new Map<string, V>();
  #version: number | undefined;

  constructor(
    private readonly storage: Pick<Storage, 'changes'>,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const version = this.storage.changes.version();
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    const hit = this.#entries.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined && this.storage.changes.version() === version) {
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, deepFreeze(value));
    }
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/** Runs `work` in one transaction that announces a change of shared data to every process. */
export async function writeShared<T>(storage: Storage, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  try {
    return await transaction(storage, async (trx) => {
      const result = await work(trx);
      await storage.changes.announce(trx);
      return result;
    });
  } finally {
    // Also after a failure: whether it committed may be unknown (a lost connection at COMMIT).
    storage.changes.changed();
  }
}
