/**
 * Short-lived state of a user-agent round trip through an MVPD (a login or a logout in progress),
 * kept server side and found again by an unguessable `state` (docs/entitlement-api.md, "Logout":
 * never trusted from the query string unsigned).
 *
 * The data is sealed under the master key, bound to its kind and state, so a row copied under
 * another state or kind does not open. `take` is one-time: it deletes the row in the same
 * statement that reads it, so of two concurrent takes only one gets the data. Expired rows are
 * never answered, and are purged on the way to creating a flow, at most once a minute per process.
 *
 * A pending logout is written by the profile store, in the statement that deletes the profile
 * (`begin` seals it without storing it); it takes over the profile's sealed upstream session,
 * which `takeWithHandover` answers alongside.
 */
import type { Kysely } from 'kysely';
import { pooledRandomBytes } from '../../platform/crypto/random-pool.js';
import type { Sealer } from '../../platform/crypto/sealing.js';
import { type PreparedQuery, prepared } from '../../platform/storage/prepared.js';
import type { Database } from '../../platform/storage/schema.js';

export type FlowKind = 'login' | 'logout';

/** A flow sealed under a new state and not stored yet. */
export interface NewFlow<K extends FlowKind = FlowKind> {
  kind: K;
  state: string;
  sealedData: string;
  expiresAt: number;
}

/** What a pending logout took over from the profile it replaced (sealed by the profile store). */
export interface ProfileHandover {
  profileId: string;
  sealedUpstream: string;
}

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

  /**
   * Seals `data` for `ttlMs` under a new state, for the caller to store (purging expired flows
   * now and then on the way).
   */
  async begin<K extends FlowKind>(kind: K, data: unknown, ttlMs: number, now = Date.now()): Promise<NewFlow<K>> {
    if (now - this.#lastPurge >= PURGE_INTERVAL_MS) {
      this.#lastPurge = now;
      await this.purgeExpired(now);
    }
    const state = pooledRandomBytes(32).toString('base64url');
    const sealedData = this.sealer.seal(Buffer.from(JSON.stringify(data)), label(kind, state));
    return { kind, state, sealedData, expiresAt: now + ttlMs };
  }

  /** Stores `data` for `ttlMs`; answers the new state. */
  async create(kind: FlowKind, data: unknown, ttlMs: number, now = Date.now()): Promise<string> {
    const flow = await this.begin(kind, data, ttlMs, now);
    await this.#insert.run(flow.state, kind, flow.sealedData, flow.expiresAt);
    return flow.state;
  }

  /** The data of an unexpired flow of this kind, removed as it is read; undefined when there is none. */
  async take<T>(kind: FlowKind, state: string, now = Date.now()): Promise<T | undefined> {
    return (await this.takeWithHandover<T>(kind, state, now))?.data;
  }

  /** As `take`, with what the flow took over from a profile, if anything. */
  async takeWithHandover<T>(
    kind: FlowKind,
    state: string,
    now = Date.now(),
  ): Promise<{ data: T; handover?: ProfileHandover } | undefined> {
    if (!STATE_PATTERN.test(state)) return undefined;
    const row = await this.db
      .deleteFrom('user_agent_flows')
      .where('state', '=', state)
      .where('kind', '=', kind)
      .returning(['sealed_data', 'expires_at', 'profile_id', 'sealed_upstream'])
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return undefined;
    const data = JSON.parse(this.sealer.open(row.sealed_data, label(kind, state)).toString('utf8')) as T;
    const { profile_id: profileId, sealed_upstream: sealedUpstream } = row;
    return profileId && sealedUpstream ? { data, handover: { profileId, sealedUpstream } } : { data };
  }

  /** Removes a flow unread (one that turned out not to be needed). */
  async discard(kind: FlowKind, state: string): Promise<void> {
    await this.db.deleteFrom('user_agent_flows').where('state', '=', state).where('kind', '=', kind).execute();
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
