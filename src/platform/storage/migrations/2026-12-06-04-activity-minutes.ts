/**
 * Activity counts per minute (platform/ops/activity.ts; docs/running.md, "Activity counts"): what
 * the operator console's dashboard shows, added to by every process and purged after a day. One
 * row per (minute, kind, code), so the table stays small: a day of minutes times a few kinds and
 * error codes, whatever the traffic.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('activity_minutes')
    .addColumn('minute', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('activity_minutes_pk', ['minute', 'kind', 'code'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('activity_minutes').execute();
}
