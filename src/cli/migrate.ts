/** `domus migrate [up|down|status]`: explicit schema migrations. */
import { loadConfig } from '../platform/config.js';
import { openStorage } from '../platform/storage/database.js';
import { migrateDown, migrateToLatest, pendingMigrations } from '../platform/storage/migrate.js';

export async function migrateCommand(args: string[]): Promise<number> {
  const action = args[0] ?? 'up';
  const config = loadConfig();
  const storage = openStorage(config.database, 1);
  try {
    if (action === 'up') {
      const applied = await migrateToLatest(storage.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
    } else if (action === 'down') {
      const reverted = await migrateDown(storage.db);
      process.stdout.write(reverted.length ? `reverted: ${reverted.join(', ')}\n` : 'nothing to revert\n');
    } else if (action === 'status') {
      const pending = await pendingMigrations(storage.db);
      process.stdout.write(pending.length ? `pending: ${pending.join(', ')}\n` : 'up to date\n');
      return pending.length ? 1 : 0;
    } else {
      process.stderr.write('usage: domus migrate [up|down|status]\n');
      return 2;
    }
    return 0;
  } finally {
    await storage.close();
  }
}
