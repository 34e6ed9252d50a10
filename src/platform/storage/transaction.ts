/**
 * Transactions that hold the right lock on either database, retried when the database asks.
 *
 * PostgreSQL: READ COMMITTED, and callers lock the rows they guard with SELECT … FOR UPDATE.
 * SQLite: BEGIN IMMEDIATE takes the write lock up front, so a read-then-write cannot race.
 * Serialization failures and deadlocks (SQLSTATE 40001 / 40P01, raised by PostgreSQL and by
 * distributed PostgreSQL-compatible engines) and SQLite's BUSY are retried with backoff.
 */
import { type Kysely, sql } from 'kysely';
import type { Storage } from './database.js';
import type { Database } from './schema.js';

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 8;

export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return RETRYABLE_SQLSTATES.has(code) || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/** Runs `work` again while it fails with a retryable error, at most MAX_ATTEMPTS times. */
export async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      const backoffMs = Math.random() * 2 ** attempt * 5;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

/** Runs `work` in one transaction (committed on return, rolled back on throw), with retries. */
export function transaction<T>(
  storage: Pick<Storage, 'db' | 'dialect'>,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return withRetry(() => {
    if (storage.dialect === 'postgres') return storage.db.transaction().execute(work);
    return storage.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await work(connection);
        await sql`commit`.execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  });
}
