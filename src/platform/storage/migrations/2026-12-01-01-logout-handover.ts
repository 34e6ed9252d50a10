/**
 * A pending logout takes over the deleted profile's sealed upstream session as it is, so a logout
 * deletes the profile and stores its pending-logout record in one step (profile-store.ts
 * `takeForLogout`). Null on every other user-agent flow.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The profile's id names the key its upstream is sealed under.
  await db.schema.alterTable('user_agent_flows').addColumn('profile_id', 'text').execute();
  await db.schema.alterTable('user_agent_flows').addColumn('sealed_upstream', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('user_agent_flows').dropColumn('sealed_upstream').execute();
  await db.schema.alterTable('user_agent_flows').dropColumn('profile_id').execute();
}
