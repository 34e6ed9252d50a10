/**
 * Profiles findable by household (the admin API's household view, docs/entitlement-api.md,
 * "Household view"): the household a profile's domain tokens name, kept beside the sealed upstream
 * session, with an index on (mvpd_id, household). Profiles stored before this migration keep a
 * null household until the viewer signs in again (profiles live one authN TTL anyway).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('profiles').addColumn('household', 'text').execute();
  await db.schema.createIndex('profiles_household').on('profiles').columns(['mvpd_id', 'household']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('profiles_household').execute();
  await db.schema.alterTable('profiles').dropColumn('household').execute();
}
