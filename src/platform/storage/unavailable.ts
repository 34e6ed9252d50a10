/**
 * Which errors mean "the database cannot be reached right now" rather than "this request is
 * wrong" or "the server has a bug": a PostgreSQL restart or failover, a dropped or refused
 * connection, a full pool that timed out, SQLite locked past its busy timeout or out of disk.
 * Every wire format answers these with 503 and its own error shape (docs/reliability.md); the
 * request changed nothing it acknowledged, and the same request may be sent again.
 */

/** SQLSTATE classes and codes of a lost or refused PostgreSQL connection. */
const POSTGRES_UNAVAILABLE = /^(08...|57P0[1-4]|53300|53400)$/;
/** Socket errors of a connection that could not be opened or was cut. */
const SOCKET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLite result codes (better-sqlite3 spells them out) of a database it cannot use now. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|PROTOCOL)/;
/** node-postgres raises these without a code. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Client was closed',
  'Cannot use a pool after calling end',
];

/** True when `error`, or an error it was caused by, says the database is unavailable. */
export function isStorageUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof StorageUnavailableError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (POSTGRES_UNAVAILABLE.test(code) || SOCKET_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.test(code)) {
        return true;
      }
    } else if (PG_CONNECTION_MESSAGES.some((text) => current instanceof Error && current.message.includes(text))) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Raised by code that finds the database unavailable by itself (e.g. a readiness check). */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** Seconds a client should wait before it sends the same request again (Retry-After). */
export const RETRY_AFTER_S = 2;
