/**
 * Gauges of the platform's moving parts, read when Prometheus scrapes (each gauge's `collect`),
 * so nothing is kept in step by hand: the database pool, the crypto workers' queue and the
 * change listener of the read caches.
 */
import { Gauge, type Registry } from 'prom-client';
import type { CryptoWorkers } from '../crypto/crypto-workers.js';
import type { PoolStats, Storage } from '../storage/database.js';

export function platformGauges(registry: Registry, parts: { storage: Storage; crypto: CryptoWorkers }): void {
  const { storage, crypto } = parts;
  const registers = [registry];
  // PostgreSQL only: SQLite has one connection and no pool, so it has none of these gauges.
  const pool = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const stats = storage.pool();
        if (stats) this.set(read(stats));
      },
    });
  if (storage.pool()) {
    pool('domus_db_pool_size', 'PostgreSQL connections the pool may open (DOMUS_DB_POOL_SIZE).', (s) => s.max);
    pool('domus_db_pool_in_use', 'PostgreSQL connections checked out by a query or transaction now.', (s) => s.inUse);
    pool('domus_db_pool_idle', 'PostgreSQL connections open and idle in the pool now.', (s) => s.idle);
    pool('domus_db_pool_waiting', 'Queries waiting for a PostgreSQL connection now.', (s) => s.waiting);
  }

  new Gauge({
    name: 'domus_crypto_queue_depth',
    help: 'Public-key operations waiting for or running on a crypto worker now.',
    registers,
    collect() {
      this.set(crypto.queueDepth());
    },
  });
  new Gauge({
    name: 'domus_change_listener_up',
    help: '1 while changes of other processes are heard (the read caches trust their entries), else 0.',
    registers,
    collect() {
      this.set(storage.changes.isListening() ? 1 : 0);
    },
  });
}
