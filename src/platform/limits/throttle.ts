/**
 * Token buckets in the database, the one mechanism behind every rate limit of Domus: the request
 * throttle of the entitlement API (docs/entitlement-api.md, "Throttling"), the domain
 * protocol's limits on domain creation and new memberships, and the admin API's limit on failed
 * token attempts. A bucket per client, `burst` tokens at first, refilled at `ratePerS`, one token
 * per request.
 *
 * Buckets live in the `throttle_buckets` table, so every process of a deployment shares them,
 * and each request costs one atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING, on
 * SQLite and PostgreSQL alike): the database serializes concurrent requests of one client, and
 * no read-then-write can race. A take may run inside the caller's transaction (`db`), so a
 * refused operation that rolls back gives its token back.
 *
 * Several limits with different rates share the table: each Throttle has a namespace, its keys
 * are stored as `<namespace>:<key>`, and its purge deletes only buckets of its namespace that
 * are full again by its own rate.
 *
 * Encoding of `tokens`: after an allowed request it holds the tokens left (≥ 0); after a refused
 * one it holds the tokens left minus one (< 0). So the stored value is always "refilled − 1", the
 * answer is "allowed" exactly when it is ≥ 0, and a refused request consumes nothing (a client
 * that waits 1/rate seconds after a 429 gets through, however often it was refused before).
 *
 * Clients are told apart by IP address (`request.ip`, which honours X-Forwarded-For only from
 * DOMUS_TRUSTED_PROXIES); IPv6 clients by their /64, since one host can use a whole /64.
 */
import { isIPv6 } from 'node:net';
import { type Kysely, sql } from 'kysely';
import type { ThrottleLimits } from '../config.js';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';

export interface ThrottleDecision {
  allowed: boolean;
  /** Whole seconds until a request would be allowed (0 when allowed). */
  retryAfterS: number;
}

/** Lower-case letters, digits and `-`: a namespace never holds the `:` that ends it. */
const NAMESPACE = /^[a-z][a-z0-9-]{0,31}$/;

export class Throttle {
  readonly #prefix: string;

  constructor(
    private readonly storage: Pick<Storage, 'db' | 'dialect'>,
    readonly namespace: string,
    readonly limits: ThrottleLimits,
  ) {
    if (!NAMESPACE.test(namespace)) throw new Error(`bad throttle namespace "${namespace}"`);
    this.#prefix = `${namespace}:`;
  }

  /** Takes one token from `key`'s bucket, in `db` (a transaction of the caller's, or the pool). */
  async take(key: string, now = Date.now(), db: Kysely<Database> = this.storage.db): Promise<ThrottleDecision> {
    const { ratePerS, burst } = this.limits;
    const t = sql.ref('throttle_buckets.tokens');
    const at = sql.ref('throttle_buckets.updated_at');
    const level = sql`(case when ${t} < 0 then ${t} + 1 else ${t} end)`;
    const elapsedMs =
      this.storage.dialect === 'postgres' ? sql`greatest(0, ${now}::bigint - ${at})` : sql`max(0, ${now} - ${at})`;
    const rate = this.storage.dialect === 'postgres' ? sql`${ratePerS}::double precision` : sql`${ratePerS}`;
    const refilled = sql`${level} + ${elapsedMs} * ${rate} / 1000.0`;
    const tokens =
      this.storage.dialect === 'postgres'
        ? sql`least(${burst}::double precision, ${refilled}) - 1`
        : sql`min(${burst}, ${refilled}) - 1`;
    const updatedAt =
      this.storage.dialect === 'postgres' ? sql`greatest(${at}, ${now}::bigint)` : sql`max(${at}, ${now})`;
    const row = await db
      .insertInto('throttle_buckets')
      .values({ key: this.#prefix + key, tokens: burst - 1, updated_at: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ tokens: sql<number>`${tokens}`, updated_at: sql<number>`${updatedAt}` }),
      )
      .returning('tokens')
      .executeTakeFirstOrThrow();
    return this.#decision(Number(row.tokens));
  }

  /** What a take would answer now, without taking anything (one read, no write). */
  async peek(key: string, now = Date.now()): Promise<ThrottleDecision> {
    const row = await this.storage.db
      .selectFrom('throttle_buckets')
      .select(['tokens', 'updated_at'])
      .where('key', '=', this.#prefix + key)
      .executeTakeFirst();
    if (!row) return { allowed: true, retryAfterS: 0 };
    const stored = Number(row.tokens);
    const level = stored < 0 ? stored + 1 : stored;
    const refilled = level + (Math.max(0, now - Number(row.updated_at)) * this.limits.ratePerS) / 1000;
    return this.#decision(Math.min(this.limits.burst, refilled) - 1);
  }

  #decision(left: number): ThrottleDecision {
    if (left >= 0) return { allowed: true, retryAfterS: 0 };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil(-left / this.limits.ratePerS)) };
  }

  /** Deletes this namespace's buckets that are full again (a full bucket and no bucket are the same). */
  async purge(now = Date.now()): Promise<number> {
    const fullAfterMs = Math.ceil((this.limits.burst / this.limits.ratePerS) * 1000);
    const result = await this.storage.db
      .deleteFrom('throttle_buckets')
      .where(sql`substr(${sql.ref('key')}, 1, ${this.#prefix.length})`, '=', this.#prefix)
      .where('updated_at', '<', now - fullAfterMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The bucket key of a client address: the IPv4 address, or the /64 of an IPv6 one. */
export function clientKey(ip: string): string {
  if (!isIPv6(ip)) return `ip:${ip}`;
  const groups = ipv6Groups(ip);
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return `ip:${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  }
  return `ip:${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, embedded IPv4 folded in). */
function ipv6Groups(ip: string): number[] {
  let address = ip.split('%')[0] ?? '';
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const first = head ? head.split(':') : [];
  const last = tail ? tail.split(':') : [];
  const groups = tail === undefined ? first : [...first, ...Array(8 - first.length - last.length).fill('0'), ...last];
  return groups.map((group) => Number.parseInt(group, 16));
}
