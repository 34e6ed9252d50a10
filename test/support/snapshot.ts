/** Every row of every Domus table, to prove that a rejected request changed nothing. */
import { sql } from 'kysely';
import type { Storage } from '../../src/platform/storage/database.js';
import type { Database } from '../../src/platform/storage/schema.js';

const TABLES = [
  'domains',
  'domain_keys',
  'domain_machines',
  'domain_registrations',
  'seen_messages',
  'domain_events',
  'domain_removals',
  'domain_former_members',
  'server_keys',
] as const;

/** Every table of the schema (kept in step with it by the type below). */
const ALL_TABLES = [
  ...TABLES,
  'service_providers',
  'mvpds',
  'integrations',
  'applications',
  'client_registrations',
  'authentication_sessions',
  'profiles',
  'user_agent_flows',
  'throttle_buckets',
  'oidc_payloads',
  'console_sessions',
  'console_passwords',
] as const satisfies readonly (keyof Database)[];

/**
 * Counters, not state: every answer (a refusal too) adds to them, and a timer writes them in the
 * background (platform/ops/activity.ts), so they are never part of a snapshot.
 */
type Counters = 'activity_minutes';

// A table added to the schema and not listed here fails the type check.
type Unlisted = Exclude<keyof Database, (typeof ALL_TABLES)[number] | Counters>;
const everyTableListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTableListed;

async function rowsOf(storage: Storage, tables: readonly string[]): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(storage.db);
    result[table] = rows.rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}

/** The domain server's tables. */
export async function snapshot(storage: Storage): Promise<Record<string, unknown[]>> {
  return rowsOf(storage, TABLES);
}

/**
 * Every table Domus has, but `except` (e.g. `throttle_buckets`, which every throttled request
 * writes).
 */
export async function snapshotAll(
  storage: Storage,
  except: readonly (keyof Database)[] = [],
): Promise<Record<string, unknown[]>> {
  return rowsOf(
    storage,
    ALL_TABLES.filter((table) => !except.includes(table)),
  );
}
