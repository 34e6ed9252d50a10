/**
 * Short-lived state of a user-agent round trip through an MVPD (a login or a logout in
 * progress), kept server side and found again by an unguessable `state` (pass-api.md §5: never
 * trusted from the query string unsigned).
 *
 * The data is sealed under the master key, bound to its kind and state, so a row copied under
 * another state or kind does not open. `take` is one-time: it deletes the row in the same
 * statement that reads it, so of two concurrent takes only one gets the data. Expired rows are
 * never answered, and are purged on the way to creating a flow, at most once a minute per process.
 */
import type { Kysely } from 'kysely';
import { pooledRandomBytes } from '../../platform/crypto/random-pool.js';
import type { Sealer } from '../../platform/crypto/sealing.js';
import { type PreparedQuery, prepared } from '../../platform/storage/prepared.js';
import type { Database } from '../../platform/storage/schema.js';

export type FlowKind = 'login' | 'logout';

/** A state: 32 random bytes, base64url. */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const PURGE_INTERVAL_MS = 60_000;

export class UserAgentFlows {
  #lastPurge = 0;
  /** Every interactive logout creates one: compiled once. */
  readonly #insert: PreparedQuery<[state: string, kind: FlowKind, sealed: string, expiresAt: number], unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: Sealer,
  ) {
    this.#insert = prepared(db, 4, (q, state, kind, sealed, expiresAt) =>
      q.insertInto('user_agent_flows').values({ state, kind, sealed_data: sealed, expires_at: expiresAt }),
    );
  }

  /** Stores `data` for `ttlMs`; answers the new state. */
  async create(kind: FlowKind, data: unknown, ttlMs: number, now = Date.now()): Promise<string> {
    if (now - this.#lastPurge >= PURGE_INTERVAL_MS) {
      this.#lastPurge = now;
      await this.purgeExpired(now);
    }
    const state = pooledRandomBytes(32).toString('base64url');
    const sealed = this.sealer.seal(Buffer.from(JSON.stringify(data)), label(kind, state));
    await this.#insert.run(state, kind, sealed, now + ttlMs);
    return state;
  }

  /** The data of an unexpired flow of this kind, removed as it is read; undefined when there is none. */
  async take<T>(kind: FlowKind, state: string, now = Date.now()): Promise<T | undefined> {
    if (!STATE_PATTERN.test(state)) return undefined;
    const row = await this.db
      .deleteFrom('user_agent_flows')
      .where('state', '=', state)
      .where('kind', '=', kind)
      .returning(['sealed_data', 'expires_at'])
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return undefined;
    return JSON.parse(this.sealer.open(row.sealed_data, label(kind, state)).toString('utf8')) as T;
  }

  /**
   * The data of an unexpired flow of this kind, left in place: for a check that must pass before
   * the flow is used up (by `take`, which alone decides who gets it).
   */
  async peek<T>(kind: FlowKind, state: string, now = Date.now()): Promise<T | undefined> {
    if (!STATE_PATTERN.test(state)) return undefined;
    const row = await this.db
      .selectFrom('user_agent_flows')
      .select(['sealed_data', 'expires_at'])
      .where('state', '=', state)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return undefined;
    return JSON.parse(this.sealer.open(row.sealed_data, label(kind, state)).toString('utf8')) as T;
  }

  async purgeExpired(now = Date.now()): Promise<void> {
    await this.db.deleteFrom('user_agent_flows').where('expires_at', '<=', now).execute();
  }
}

const label = (kind: FlowKind, state: string) => `user-agent-flow:${kind}:${state}`;
