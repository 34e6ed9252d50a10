/**
 * Throttle buckets get namespaced keys (`<namespace>:<key>`, platform/limits/throttle.ts), so
 * limits with different rates share the table and each purges only its own buckets. Buckets of
 * the old un-namespaced keys would never be purged again: they are dropped. Buckets are
 * transient, and a missing bucket is a full one, so every client simply starts afresh.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.deleteFrom('throttle_buckets' as never).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.deleteFrom('throttle_buckets' as never).execute();
}
