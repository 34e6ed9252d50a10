/** Server keys and the DRM domain server's tables. */
import type { Kysely } from 'kysely';
import { autoId } from '../migrate.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('server_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('public_data', 'text', (c) => c.notNull())
    .addColumn('sealed_private', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await autoId(db, db.schema.createTable('domains'))
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('auth_required', 'integer', (c) => c.notNull())
    .addColumn('auth_namespace', 'text')
    .addColumn('max_membership', 'integer')
    .addColumn('key_rollover_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('domains_mode_name', ['mode', 'name'])
    .execute();

  await db.schema
    .createTable('domain_keys')
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sealed_private', 'text', (c) => c.notNull())
    .addColumn('certificate', 'text')
    .addColumn('certificate_not_before', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('domain_keys_pk', ['domain_id', 'version'])
    .execute();

  await autoId(db, db.schema.createTable('domain_machines'))
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('domain_machines_domain').on('domain_machines').column('domain_id').execute();

  await db.schema
    .createTable('domain_registrations')
    .addColumn('domain_id', 'integer', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('guid', 'text', (c) => c.notNull())
    .addColumn('machine_row', 'integer', (c) => c.notNull().references('domain_machines.id').onDelete('cascade'))
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('domain_registrations_pk', ['domain_id', 'guid'])
    .execute();
  await db.schema
    .createIndex('domain_registrations_machine')
    .on('domain_registrations')
    .column('machine_row')
    .execute();

  await db.schema
    .createTable('seen_messages')
    .addColumn('guid', 'text', (c) => c.notNull())
    .addColumn('mid', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('seen_messages_pk', ['guid', 'mid'])
    .execute();
  await db.schema.createIndex('seen_messages_seen_at').on('seen_messages').column('seen_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'seen_messages',
    'domain_registrations',
    'domain_machines',
    'domain_keys',
    'domains',
    'server_keys',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
