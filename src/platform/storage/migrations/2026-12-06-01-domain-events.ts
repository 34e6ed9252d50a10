/**
 * Domain events (docs/domain-server.md, "Events"): one row per membership change, written in the
 * transaction of the change, read per domain newest first and purged by age.
 */
import type { Kysely } from 'kysely';
import { autoId } from '../migrate.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await autoId(db, db.schema.createTable('domain_events'))
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_guid', 'text')
    .addColumn('subject_guid', 'text')
    .addColumn('key_version', 'integer')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('domain_events_domain').on('domain_events').columns(['domain_id', 'id']).execute();
  await db.schema.createIndex('domain_events_at').on('domain_events').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('domain_events').execute();
}
