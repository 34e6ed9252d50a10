/**
 * Household devices (docs/domain-server.md, "Household devices"): the label a member gave at join,
 * the policies of removals, stale members, suspension and key retention, the removals counted
 * against a domain's removal limit, and the former members that were removed or evicted.
 */
import type { Kysely } from 'kysely';
import { autoId } from '../migrate.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['removal_limit', 'removal_period_s', 'evict_after_s', 'key_retention_s']) {
    await db.schema.alterTable('domains').addColumn(column, 'integer').execute();
  }
  await db.schema
    .alterTable('domains')
    .addColumn('suspended', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('domain_registrations').addColumn('label', 'text').execute();
  await db.schema
    .createIndex('domain_registrations_last_seen')
    .on('domain_registrations')
    .columns(['domain_id', 'last_seen'])
    .execute();

  await autoId(db, db.schema.createTable('domain_removals'))
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('domain_removals_domain').on('domain_removals').columns(['domain_id', 'at']).execute();

  await db.schema
    .createTable('domain_former_members')
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('guid', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('domain_former_members_pk', ['domain_id', 'guid'])
    .execute();
  await db.schema.createIndex('domain_former_members_at').on('domain_former_members').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('domain_former_members').execute();
  await db.schema.dropTable('domain_removals').execute();
  await db.schema.dropIndex('domain_registrations_last_seen').execute();
  await db.schema.alterTable('domain_registrations').dropColumn('label').execute();
  for (const column of ['suspended', 'removal_limit', 'removal_period_s', 'evict_after_s', 'key_retention_s']) {
    await db.schema.alterTable('domains').dropColumn(column).execute();
  }
}
