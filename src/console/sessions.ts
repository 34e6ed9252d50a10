/**
 * Console sessions (docs/console.md, "Signing in"): made at sign-in, ended at sign-out or after
 * SESSION_IDLE_MS without use or SESSION_MAX_MS in all. Rows live in the database so every
 * process knows every session; a row holds the SHA-256 of the cookie's id, never the id itself,
 * so a read of the table signs nobody in. Each session has its own CSRF token, which the console
 * sends back in `X-CSRF-Token` with every change. A session signed in with the admin token holds
 * a fingerprint of it and ends when the token changes (a restart with a new DOMUS_ADMIN_TOKEN).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Storage } from '../platform/storage/database.js';

export const SESSION_IDLE_MS = 60 * 60_000;
export const SESSION_MAX_MS = 12 * 3600_000;
/** `last_used_at` is written at most this often, so browsing costs no write per request. */
const TOUCH_EVERY_MS = 60_000;

export type Credential = 'admin-token' | 'password';

export interface ConsoleSession {
  csrfToken: string;
  credential: Credential;
  expiresAt: number;
}

export class ConsoleSessions {
  constructor(
    private readonly storage: Pick<Storage, 'db'>,
    /** The admin token's fingerprint: sessions it signed in end when the token changes. */
    private readonly adminTokenTag: string,
  ) {}

  /** A new session: its cookie id (given only to the browser) and the session itself. */
  async create(credential: Credential, now = Date.now()): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomBytes(32).toString('base64url');
    const session = { csrfToken: randomBytes(32).toString('base64url'), credential, expiresAt: now + SESSION_IDLE_MS };
    await this.storage.db
      .insertInto('console_sessions')
      .values({
        id_hash: hashOf(id),
        csrf_token: session.csrfToken,
        credential,
        credential_tag: credential === 'admin-token' ? this.adminTokenTag : '',
        created_at: now,
        last_used_at: now,
        expires_at: Math.min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS),
      })
      .execute();
    return { id, session };
  }

  /** The live session of a cookie id, or null; extends its idle deadline as it is used. */
  async find(id: string, now = Date.now()): Promise<ConsoleSession | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const idHash = hashOf(id);
    const row = await this.storage.db
      .selectFrom('console_sessions')
      .select(['csrf_token', 'credential', 'credential_tag', 'created_at', 'last_used_at', 'expires_at'])
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return null;
    if (row.credential === 'admin-token' && row.credential_tag !== this.adminTokenTag) return null;
    let expiresAt = Number(row.expires_at);
    if (now - Number(row.last_used_at) >= TOUCH_EVERY_MS) {
      expiresAt = Math.min(now + SESSION_IDLE_MS, Number(row.created_at) + SESSION_MAX_MS);
      await this.storage.db
        .updateTable('console_sessions')
        .set({ last_used_at: now, expires_at: expiresAt })
        .where('id_hash', '=', idHash)
        .execute();
    }
    return { csrfToken: row.csrf_token, credential: row.credential as Credential, expiresAt };
  }

  async end(id: string): Promise<void> {
    await this.storage.db.deleteFrom('console_sessions').where('id_hash', '=', hashOf(id)).execute();
  }

  /** Ends every session signed in with `credential`: after the operator password changes. */
  async endAll(credential: Credential): Promise<number> {
    const result = await this.storage.db
      .deleteFrom('console_sessions')
      .where('credential', '=', credential)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deletes expired sessions; answers how many. */
  async purge(now = Date.now()): Promise<number> {
    const result = await this.storage.db
      .deleteFrom('console_sessions')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** Whether a request's CSRF token is the session's, in constant time. */
export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== session.csrfToken.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(session.csrfToken));
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');
