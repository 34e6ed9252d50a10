/** Every row of every Domus table, to prove that a rejected request changed nothing. */
import { sql } from 'kysely';
import type { Storage } from '../../src/platform/storage/database.js';

const TABLES = [
  'domains',
  'domain_keys',
  'domain_machines',
  'domain_registrations',
  'seen_messages',
  'server_keys',
] as const;

export async function snapshot(storage: Storage): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(storage.db);
    result[table] = rows.rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}
