/**
 * Tells a process when shared data that it may hold in a cache has changed, whichever process of
 * the deployment changed it: the ground under the read caches of rarely-written rows (the
 * operator model, client registrations; see shared-cache.ts).
 *
 * `version()` is cheap and synchronous: a cache remembers the version it filled under and
 * trusts its entries only while `version()` still answers the same.
 *
 * - **PostgreSQL**: a writer sends `NOTIFY domus_shared_changes` inside its transaction, so the
 *   notification goes out exactly when the change commits; every process LISTENs on one
 *   dedicated connection (opened on the first `version()`, so offline commands never open it)
 *   and counts a new version per notification. The connection proves the whole path every
 *   HEARTBEAT_MS by notifying itself and hearing it back (a transaction-mode pooler, which does
 *   not carry LISTEN, fails that test at once). While it is not proven (not yet open, lost,
 *   being re-opened, its heartbeat unheard) every call answers a new version, so nothing is
 *   cached on trust; once it is proven again, everything cached before is dropped.
 * - **SQLite**: `PRAGMA data_version` changes whenever another connection (another process on
 *   the same file) commits anything, which is all a cache needs to know. Asking costs a look at
 *   the WAL index, so it is asked at most once a millisecond: another process's change is seen
 *   within that time.
 *
 * Either way the writing process counts a new version itself after its commit (`changed()`), so
 * its next request never reads its own old entries.
 */
import { randomUUID } from 'node:crypto';
import type SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export const CHANGE_CHANNEL = 'domus_shared_changes';
/** The listening connection's application_name, as pg_stat_activity shows it. */
export const LISTENER_NAME = 'domus-change-listener';
/** Payload prefix of the listeners' heartbeats (a change is announced with an empty payload). */
const HEARTBEAT = 'heartbeat:';
/** How often the listening connection proves it is alive, and how long its answer may take. */
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;
const CLOSE_WAIT_MS = 1_000;
/** SQLite: how long one answer of PRAGMA data_version stands. */
const DATA_VERSION_REUSE_MS = 1;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface ChangeSignal {
  /** Answers the same number for as long as no shared data is known to have changed. */
  version(): number;
  /** Inside a writing transaction: tells every other process, once it commits. */
  announce(trx: Kysely<Database>): Promise<void>;
  /** After a commit that announced: this process's own caches are stale from now. */
  changed(): void;
  /** Whether changes of other processes are heard now (SQLite: always; PostgreSQL: the listener is proven). */
  isListening(): boolean;
  close(): Promise<void>;
}

/** SQLite: the data version of the connection, plus this process's own writes. */
export function sqliteChangeSignal(sqlite: SqliteDatabase.Database): ChangeSignal {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  let seen = dataVersion.get() as number;
  let askedAt = performance.now();
  let version = 0;
  return {
    version() {
      const now = performance.now();
      if (now - askedAt < DATA_VERSION_REUSE_MS) return version;
      askedAt = now;
      const current = dataVersion.get() as number;
      if (current !== seen) {
        seen = current;
        version++;
      }
      return version;
    },
    announce: async () => {},
    changed() {
      version++;
    },
    isListening: () => true,
    close: async () => {},
  };
}

/** PostgreSQL: LISTEN on a connection of its own, re-opened with backoff when lost. */
export function postgresChangeSignal(
  connectionString: string,
  onLost: (error: Error) => void = () => {},
): ChangeSignal {
  let version = 0;
  let listening = false;
  let started = false;
  let closed = false;
  let client: pg.Client | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let retryMs = RECONNECT_MIN_MS;

  const lose = (connection: pg.Client, error: Error) => {
    if (client !== connection) return;
    client = undefined;
    listening = false;
    clearInterval(heartbeat);
    connection.removeAllListeners();
    connection.on('error', () => {});
    connection.end().catch(() => {});
    if (closed) return;
    onLost(error);
    setTimeout(listen, retryMs).unref();
    retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
  };

  const listen = () => {
    if (closed) return;
    const connection = new pg.Client({ connectionString, keepAlive: true, application_name: LISTENER_NAME });
    client = connection;
    // This connection's own heartbeats; every other notification (a change, another process's
    // heartbeat) is told apart by its payload.
    const beat = `${HEARTBEAT}${randomUUID()}`;
    let unheard: NodeJS.Timeout | undefined;
    const sendHeartbeat = () => {
      clearTimeout(unheard);
      unheard = setTimeout(
        () => lose(connection, new Error('the change listener did not hear its own heartbeat')),
        HEARTBEAT_TIMEOUT_MS,
      ).unref();
      connection.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, beat]).catch((error: Error) => {
        clearTimeout(unheard);
        lose(connection, error);
      });
    };
    connection.on('notification', (message) => {
      if (message.payload === beat) {
        clearTimeout(unheard);
        if (!listening && client === connection) {
          // Whatever changed while nobody listened is unknown: start from a new version.
          version++;
          listening = true;
          retryMs = RECONNECT_MIN_MS;
        }
      } else if (!message.payload?.startsWith(HEARTBEAT)) {
        version++;
      }
    });
    connection.on('error', (error) => lose(connection, error));
    connection.on('end', () => lose(connection, new Error('the change listener connection ended')));
    connection
      .connect()
      .then(() => connection.query(`LISTEN ${CHANGE_CHANNEL}`))
      .then(() => {
        if (client !== connection) return;
        sendHeartbeat();
        heartbeat = setInterval(sendHeartbeat, HEARTBEAT_MS);
        heartbeat.unref();
      })
      .catch((error: Error) => lose(connection, error));
  };

  return {
    version() {
      if (!started) {
        started = true;
        listen();
      }
      // Not listening: no version can be trusted, so each call is a new one.
      if (!listening) version++;
      return version;
    },
    async announce(trx) {
      await sql`SELECT pg_notify(${CHANGE_CHANNEL}, '')`.execute(trx);
    },
    changed() {
      version++;
    },
    isListening: () => listening,
    async close() {
      closed = true;
      listening = false;
      clearInterval(heartbeat);
      const connection = client;
      client = undefined;
      if (connection) {
        connection.removeAllListeners();
        connection.on('error', () => {});
        // A connection that is already broken may never confirm its end: do not wait on it long.
        await Promise.race([connection.end().catch(() => {}), sleep(CLOSE_WAIT_MS)]);
      }
    },
  };
}
