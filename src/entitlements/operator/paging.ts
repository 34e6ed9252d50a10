/**
 * Keyset paging of the operator lists (GET /admin/v1/service-providers, /mvpds, /integrations,
 * /applications): rows in primary-key order, a page read from its index after the last key of
 * the page before, so the thousandth page costs what the first does. The cursor is that key,
 * base64url-encoded: opaque to clients, and checked when it comes back.
 */
import { AdminError } from '../../platform/http/admin.js';

export interface Page<T> {
  items: T[];
  /** The cursor of the next page, or null on the last one. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** The previous page's `nextCursor`; none for the first page. */
  cursor?: string;
  limit?: number;
}

export const PAGE_SIZE = 50;

/** An operator id (operator-schemas.ts `Id`): it holds no `/`, which therefore joins a composite key. */
const ID = /^[A-Za-z0-9._-]{1,64}$/;

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(key.join('/')).toString('base64url');
}

/** The key of a cursor with `parts` ids; 400 when it is not one this server made. */
export function decodeCursor(cursor: string, parts: number): string[] {
  const key = Buffer.from(cursor, 'base64url').toString('utf8').split('/');
  if (key.length !== parts || !key.every((part) => ID.test(part)) || encodeCursor(key) !== cursor) {
    throw new AdminError(400, 'invalid_request', 'cursor is not valid: send the nextCursor of the previous page');
  }
  return key;
}

/** The page of `rows` (read with `limit + 1`, so one more row says there is a next page). */
export function pageOf<R, T>(rows: R[], limit: number, keyOf: (row: R) => string[], view: (row: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(view), nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
