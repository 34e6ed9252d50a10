/**
 * Finding the domains a machine GUID is a member of (the admin API's `member` filter) without a
 * scan: registrations are keyed by (domain_id, guid), so the GUID alone needs its own index.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('domain_registrations_guid').on('domain_registrations').column('guid').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('domain_registrations_guid').execute();
}
