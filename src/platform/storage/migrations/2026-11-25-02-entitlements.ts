/** The entitlement API's tables: operator model, client registrations, sessions, profiles. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('service_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mvpds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('logo_url', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    // Protocol endpoints and ids, JSON; secrets among them are sealed under the master key.
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('has_logout_endpoint', 'integer', (c) => c.notNull())
    .addColumn('authn_ttl_s', 'integer', (c) => c.notNull())
    .addColumn('authz_ttl_s', 'integer', (c) => c.notNull())
    .addColumn('entitlement_claim', 'text', (c) => c.notNull())
    .addColumn('auth_namespace', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('integrations')
    .addColumn('service_provider_id', 'text', (c) => c.notNull().references('service_providers.id').onDelete('cascade'))
    .addColumn('mvpd_id', 'text', (c) => c.notNull().references('mvpds.id').onDelete('cascade'))
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('integrations_pk', ['service_provider_id', 'mvpd_id'])
    .execute();

  await db.schema
    .createTable('applications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('service_providers', 'text', (c) => c.notNull())
    .addColumn('redirect_domains', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    // The id (jti) of the one valid software statement; issuing a new one revokes the old.
    .addColumn('statement_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('client_registrations')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('statement_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('authentication_sessions')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_registrations.client_id').onDelete('cascade'))
    .addColumn('service_provider_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('device_info', 'text', (c) => c.notNull())
    .addColumn('mvpd_id', 'text')
    .addColumn('domain_name', 'text')
    .addColumn('redirect_url', 'text')
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('authentication_sessions_not_after')
    .on('authentication_sessions')
    .column('not_after')
    .execute();

  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_registrations.client_id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('service_provider_id', 'text', (c) => c.notNull())
    .addColumn('mvpd_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    // What the MVPD round trips need later (id token for logout, entitlements), sealed.
    .addColumn('sealed_upstream', 'text', (c) => c.notNull())
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('profiles_key', ['client_id', 'device_id', 'service_provider_id', 'mvpd_id'])
    .execute();
  await db.schema.createIndex('profiles_code').on('profiles').column('code').execute();

  // Short-lived user-agent state: an MVPD login or logout in progress, keyed by its `state`.
  await db.schema
    .createTable('user_agent_flows')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sealed_data', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('throttle_buckets')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'throttle_buckets',
    'user_agent_flows',
    'profiles',
    'authentication_sessions',
    'client_registrations',
    'applications',
    'integrations',
    'mvpds',
    'service_providers',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
