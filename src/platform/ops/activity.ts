/**
 * Activity counts per minute, shared by every process through the database (docs/running.md,
 * "Activity counts"): what the operator console's dashboard shows. Prometheus counters are per
 * process; these add up across the stateless processes of a deployment.
 *
 * Counting costs a map update: nothing on the request path waits for the database. Every
 * FLUSH_INTERVAL_MS (and on close) the pending counts are added to `activity_minutes` with one
 * additive upsert per batch, so processes never overwrite each other. A failed flush (the database
 * down) keeps its counts for the next one and never throws; counts older than the retention are
 * dropped rather than kept for ever.
 */
import { type Kysely, sql } from 'kysely';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/schema.js';

/**
 * What is counted: successful joins, committed leaves and removals of the domain protocol;
 * sign-ins (profiles made by an MVPD login), logouts that ended a profile, decisions (code
 * `permit` or `deny`), and error answers (code: the protocol's error name or Pass API code).
 */
export type ActivityKind = 'join' | 'leave' | 'remove' | 'sign_in' | 'logout' | 'decision' | 'error';

export interface ActivityRow {
  minute: number;
  kind: string;
  code: string;
  count: number;
}

export const MINUTE_MS = 60_000;
/** How often counts reach the database: the dashboard lags by at most this. */
export const FLUSH_INTERVAL_MS = 5_000;
/** Rows older than this are purged (and pending counts that old dropped). */
export const RETENTION_MINUTES = 24 * 60;
/** Rows per upsert statement: well under SQLite's bound-parameter limit. */
const BATCH_ROWS = 500;

export const minuteOf = (epochMs: number) => Math.floor(epochMs / MINUTE_MS);

export class Activity {
  /** Pending counts by `minute \t kind \t code`. */
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one `kind` (with its code) in the current minute; no I/O. */
  count(kind: ActivityKind, code = ''): void {
    const key = `${minuteOf(this.now())}\t${kind}\t${code}`;
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  /** Flushes every FLUSH_INTERVAL_MS until close; the timer never keeps the process alive. */
  start(intervalMs = FLUSH_INTERVAL_MS): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and flushes what is pending once more. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Adds the pending counts to the table; answers whether they all arrived. Never throws. */
  async flush(): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    const batch = this.#pending;
    this.#pending = new Map();
    // Sorted, so that processes upserting the same rows lock them in one order (no deadlock).
    const rows = [...batch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, count]) => toRow(key, count));
    let written = 0;
    try {
      for (; written < rows.length; written += BATCH_ROWS) await this.#add(rows.slice(written, written + BATCH_ROWS));
      return true;
    } catch (error) {
      this.#keep(rows.slice(written));
      // The code and message only: a driver's error carries its client, with connection parameters.
      const { code, message } = error as { code?: string; message?: string };
      this.logger.warn(
        { code, reason: message, pending: this.#pending.size },
        'writing activity counts failed; retried',
      );
      return false;
    }
  }

  /** Deletes the rows older than the retention; answers how many. */
  async purge(): Promise<number> {
    const result = await this.db
      .deleteFrom('activity_minutes')
      .where('minute', '<', minuteOf(this.now()) - RETENTION_MINUTES)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The stored rows of minutes `from` to `to`, inclusive (a range of the primary key). */
  read(from: number, to: number): Promise<ActivityRow[]> {
    return this.db
      .selectFrom('activity_minutes')
      .select(['minute', 'kind', 'code', 'count'])
      .where('minute', '>=', from)
      .where('minute', '<=', to)
      .execute();
  }

  async #add(rows: ActivityRow[]): Promise<void> {
    await this.db
      .insertInto('activity_minutes')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['minute', 'kind', 'code'])
          .doUpdateSet({ count: sql<number>`activity_minutes.count + excluded.count` }),
      )
      .execute();
  }

  /** Puts unwritten counts back (added to any counted meanwhile), except those past the retention. */
  #keep(rows: ActivityRow[]): void {
    const oldest = minuteOf(this.now()) - RETENTION_MINUTES;
    for (const row of rows) {
      if (row.minute < oldest) continue;
      const key = `${row.minute}\t${row.kind}\t${row.code}`;
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + row.count);
    }
  }
}

function toRow(key: string, count: number): ActivityRow {
  const [minute = '0', kind = '', code = ''] = key.split('\t');
  return { minute: Number(minute), kind, code, count };
}
