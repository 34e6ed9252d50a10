/**
 * Domains by mode and their members, for the dashboard (stats-routes.ts): sums over the domains
 * table, one row per domain (never one per member), read in ranges of the primary key so that no
 * single statement runs long: SQLite's driver is synchronous, and one aggregate over a million
 * domains (~300 ms) would stall every request of the process.
 *
 * Up to RANGE domains take one cheap statement, read on every request: exact totals. Past that,
 * a total is kept for DUTY_FACTOR times as long as reading it took (at most MAX_AGE_MS), so the
 * reads cost a small, fixed share of the time however often dashboards ask: a million domains'
 * totals are at most MAX_AGE_MS old. Requests that come while a read is under way share it.
 */
import { sql } from 'kysely';
import type { Storage } from '../storage/database.js';

export interface DomainTotalsAnswer {
  domains: { anonymous: number; identity: number };
  members: number;
}

/** Domain ids per statement: ~3 ms of SQLite's time (a million domains: ~250 ms in all). */
const RANGE = 10_000;
const DUTY_FACTOR = 50;
const MAX_AGE_MS = 30_000;

export class DomainTotals {
  #kept: { until: number; totals: DomainTotalsAnswer } | undefined;
  #reading: Promise<DomainTotalsAnswer> | undefined;

  constructor(private readonly storage: Pick<Storage, 'db'>) {}

  get(): Promise<DomainTotalsAnswer> {
    if (this.#kept && Date.now() < this.#kept.until) return Promise.resolve(this.#kept.totals);
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<DomainTotalsAnswer> {
    const started = Date.now();
    const { db } = this.storage;
    const top = await db.selectFrom('domains').select(sql<number | null>`max(id)`.as('id')).executeTakeFirst();
    const last = Number(top?.id ?? 0);
    const totals: DomainTotalsAnswer = { domains: { anonymous: 0, identity: 0 }, members: 0 };
    for (let from = 0; from < last; from += RANGE) {
      const rows = await db
        .selectFrom('domains')
        .select(['mode', sql<number>`count(*)`.as('domains'), sql<number | null>`sum(member_count)`.as('members')])
        .where('id', '>', from)
        .where('id', '<=', from + RANGE)
        .groupBy('mode')
        .execute();
      for (const row of rows) {
        totals.domains[row.mode] += Number(row.domains);
        totals.members += Number(row.members ?? 0);
      }
      // Let the requests waiting behind this one run between ranges.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const took = Date.now() - started;
    const keepMs = last <= RANGE ? 0 : Math.min(MAX_AGE_MS, took * DUTY_FACTOR);
    this.#kept = { until: Date.now() + keepMs, totals };
    return totals;
  }
}
