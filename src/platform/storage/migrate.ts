/**
 * Explicit, versioned migrations, written once for both dialects and applied in name order.
 * New migrations are added to MIGRATIONS; a migration that has run is never edited.
 */
import {
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationResultSet,
  Migrator,
  PostgresAdapter,
  sql,
} from 'kysely';
import * as domains from './migrations/2026-11-25-01-domains.js';
import * as entitlements from './migrations/2026-11-25-02-entitlements.js';
import * as oidcPayloads from './migrations/2026-11-25-03-oidc-payloads.js';
import * as logoutHandover from './migrations/2026-12-01-01-logout-handover.js';
import * as throttleNamespaces from './migrations/2026-12-05-02-throttle-namespaces.js';
import * as identityDomainNames from './migrations/2026-12-05-03-identity-domain-names.js';
import * as domainEvents from './migrations/2026-12-06-01-domain-events.js';
import * as householdDevices from './migrations/2026-12-06-02-household-devices.js';
import * as registrationGuidIndex from './migrations/2026-12-06-03-registration-guid-index.js';
import * as activityMinutes from './migrations/2026-12-06-04-activity-minutes.js';
import * as profileHouseholds from './migrations/2026-12-06-05-profile-households.js';
import * as consoleSessions from './migrations/2026-12-06-06-console-sessions.js';

const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-01-domains': domains,
  '2026-11-25-02-entitlements': entitlements,
  '2026-11-25-03-oidc-payloads': oidcPayloads,
  '2026-12-01-01-logout-handover': logoutHandover,
  '2026-12-05-02-throttle-namespaces': throttleNamespaces,
  '2026-12-05-03-identity-domain-names': identityDomainNames,
  '2026-12-06-01-domain-events': domainEvents,
  '2026-12-06-02-household-devices': householdDevices,
  '2026-12-06-03-registration-guid-index': registrationGuidIndex,
  '2026-12-06-04-activity-minutes': activityMinutes,
  '2026-12-06-05-profile-households': profileHouseholds,
  '2026-12-06-06-console-sessions': consoleSessions,
};

/** An auto-increment integer primary key `id`, spelled for the dialect at hand. */
export function autoId<T extends string>(db: Kysely<unknown>, table: CreateTableBuilder<T, never>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return postgres
    ? table.addColumn('id', 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

const MIGRATION_TABLE = 'domus_migrations';

/** The newest migration this code knows (migrations apply in name order). */
export const LATEST_MIGRATION = Object.keys(MIGRATIONS).sort().at(-1) as string;

function migrator<T>(db: Kysely<T>): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: 'domus_migrations_lock',
  });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function check(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String(result.error)}`);
  }
  return (result.results ?? []).map((r) => r.migrationName);
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  return check(await migrator(db).migrateToLatest());
}

/** Reverts the most recent migration; returns its name (empty when none was applied). */
export async function migrateDown<T>(db: Kysely<T>): Promise<string[]> {
  return check(await migrator(db).migrateDown());
}

/** Migrates up or down to the named migration (the state right after it); returns the names run. */
export async function migrateTo<T>(db: Kysely<T>, name: string): Promise<string[]> {
  if (!(name in MIGRATIONS)) throw new MigrationError(`no migration named ${name}`);
  return check(await migrator(db).migrateTo(name));
}

/** Names of migrations not yet applied. */
export async function pendingMigrations<T>(db: Kysely<T>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** The newest migration applied to the database, in one small query (undefined when none is). */
export async function lastAppliedMigration<T>(db: Kysely<T>): Promise<string | undefined> {
  const { rows } = await sql<{
    name: string | null;
  }>`select max(name) as name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  return rows[0]?.name ?? undefined;
}
