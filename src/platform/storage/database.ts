/** Opens the database named by the configuration: the one place that knows the drivers. */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseTarget } from '../config.js';
import { type ChangeSignal, postgresChangeSignal, sqliteChangeSignal } from './change-signal.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  db: Kysely<Database>;
  dialect: Dialect;
  /** When shared data changed in any process (change-signal.ts): what read caches stand on. */
  changes: ChangeSignal;
  /** PostgreSQL: the connection pool's counts now (for metrics); SQLite: undefined, it has no pool. */
  pool(): PoolStats | undefined;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Connections the pool may open. */
  max: number;
  /** Checked out by a query or a transaction. */
  inUse: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

const INT8_OID = 20;

/** How long a request waits for a PostgreSQL connection before it is answered 503. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens storage. `onConnectionError` hears errors of PostgreSQL connections, idle or checked out
 * (a server restart or failover, a terminated backend, a cut network): the pool replaces them,
 * the request that held one fails with an error isStorageUnavailable() recognises (so it is
 * answered 503), and none of them may end the process.
 */
export function openStorage(
  target: DatabaseTarget,
  poolSize = 10,
  onConnectionError: (error: Error) => void = () => {},
): Storage {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      // Epoch-millisecond columns are bigint; they fit a JS number.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // The pool hears errors of idle clients only. A checked-out client (a transaction waiting
    // for its next statement) emits its own 'error' event, which would end the process unheard.
    pool.on('error', onConnectionError);
    pool.on('connect', (client) => client.on('error', onConnectionError));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) });
    const changes = postgresChangeSignal(target.listenUrl ?? target.url, onConnectionError);
    return {
      db,
      dialect: 'postgres',
      changes,
      pool: () => ({
        max: poolSize,
        inUse: pool.totalCount - pool.idleCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }),
      async close() {
        await changes.close();
        await db.destroy();
      },
    };
  }

  if (target.file !== ':memory:') fs.mkdirSync(path.dirname(target.file), { recursive: true });
  const sqlite = new SqliteDatabase(target.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    changes: sqliteChangeSignal(sqlite),
    pool: () => undefined,
    close: () => db.destroy(),
  };
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; preparing costs SQLite about as much as running these small
 * queries. Reuse prepared statements by SQL text (least recently used out first); a statement
 * that is busy (still being iterated) is never shared: such a query gets a fresh one.
 */
function withStatementCache(sqlite: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(text: string): SqliteDatabase.Statement {
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      return statement;
    },
  };
}

const PREPARED_STATEMENTS = 500;
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it on every execution. Name
 * each data statement after its SQL text instead: each connection then parses it once and keeps
 * it. The names are process-wide and bounded (the first PREPARED_STATEMENTS distinct texts);
 * later texts, and anything that is not a data statement (DDL of migrations), go unnamed.
 */
function withPreparedStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined && names.size < PREPARED_STATEMENTS && DATA_STATEMENT.test(text)) {
      name = `domus_${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
  // One wrapper per pooled client, made when the client is first handed out (not per query).
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // biome-ignore lint/suspicious/noExplicitAny: Kysely passes a SQL text or a cursor, with parameters
    query(query: any, values?: readonly unknown[]) {
      if (typeof query !== 'string') return client.query(query);
      return client.query({ text: query, values: values as unknown[] | undefined, name: nameOf(query) });
    },
    release(error?: Error | boolean) {
      client.release(error);
    },
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
