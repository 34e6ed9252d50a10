/**
 * Rate limits of the domain protocol (docs/domain-server.md, "Rate limits"): how many domains a
 * machine GUID and a client address may create, and how many memberships they may add. Without
 * them one machine token (and individualization hands them out freely) could create any number
 * of domains, each with a key pair and a certificate, or fill other households' member slots.
 *
 * A join takes its tokens inside its own transaction (join.ts), at the moment it creates a
 * domain or adds a registration: a join refused later rolls back and gives them back, so only
 * what is really created counts, and a refusal by a limit changes nothing. A member re-joining
 * adds nothing and takes nothing, so the lock-free re-join stays one round trip.
 *
 * The buckets are platform token buckets (platform/limits/throttle.ts) in the shared table, so
 * every process of a deployment counts together.
 */
import type { Kysely } from 'kysely';
import type { DomainLimitsConfig } from '../platform/config.js';
import { clientKey, Throttle } from '../platform/limits/throttle.js';
import type { Storage } from '../platform/storage/database.js';
import type { Database } from '../platform/storage/schema.js';
import { DomainError } from './errors.js';

/** The limits of one request, bound to its machine and client address. */
export interface JoinLimits {
  /** Takes one domain creation; REQ_RATE_LIMITED when the machine or the address has none left. */
  creation(db: Kysely<Database>, now: number): Promise<void>;
  /** Takes one new membership (a registration added); REQ_RATE_LIMITED likewise. */
  membership(db: Kysely<Database>, now: number): Promise<void>;
}

/** For joins that no client asked for (operator tools, tests of the join logic alone). */
export const NO_LIMITS: JoinLimits = { creation: async () => {}, membership: async () => {} };

type Pair = readonly [Throttle | null, Throttle | null];

export class DomainLimits {
  readonly #creation: Pair;
  readonly #membership: Pair;

  constructor(storage: Pick<Storage, 'db' | 'dialect'>, config: DomainLimitsConfig) {
    const throttle = (namespace: string, limits: DomainLimitsConfig[keyof DomainLimitsConfig]) =>
      limits ? new Throttle(storage, namespace, limits) : null;
    this.#creation = [
      throttle('domain-create-machine', config.createPerMachine),
      throttle('domain-create-address', config.createPerAddress),
    ];
    this.#membership = [
      throttle('domain-join-machine', config.joinPerMachine),
      throttle('domain-join-address', config.joinPerAddress),
    ];
  }

  /** The limits of a request from machine `guid` at address `ip` (`request.ip`). */
  of(guid: string, ip: string): JoinLimits {
    const keys = [`guid:${guid}`, clientKey(ip)] as const;
    return {
      creation: (db, now) => take(this.#creation, keys, db, now, 'domains created'),
      membership: (db, now) => take(this.#membership, keys, db, now, 'memberships added'),
    };
  }

  /** Deletes the buckets that are full again; answers how many. */
  async purge(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const throttle of [...this.#creation, ...this.#membership]) {
      if (throttle) deleted += await throttle.purge(now);
    }
    return deleted;
  }
}

async function take(
  [perMachine, perAddress]: Pair,
  [machineKey, addressKey]: readonly [string, string],
  db: Kysely<Database>,
  now: number,
  what: string,
): Promise<void> {
  for (const [throttle, key, whose] of [
    [perMachine, machineKey, 'this machine'],
    [perAddress, addressKey, 'this client address'],
  ] as const) {
    if (!throttle) continue;
    const decision = await throttle.take(key, now, db);
    if (!decision.allowed) {
      throw new DomainError(
        'REQ_RATE_LIMITED',
        `too many ${what} by ${whose}; retry in ${decision.retryAfterS} s`,
        decision.retryAfterS,
      );
    }
  }
}
