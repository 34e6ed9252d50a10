/**
 * The readiness checks behind `GET /readyz` (docs/running.md, "Probes"): may this process be
 * sent traffic now?
 *
 * - `database`: the database answers one small query within READY_DEADLINE_MS;
 * - `migrations`: that same query's answer, the newest applied migration, is the newest this code
 *   knows (or a later one, applied by a newer release);
 * - `keys`: loaded and verified at startup (master key, Domain CA, token signing keys): a
 *   process that could not load them never starts, so a running one reports `ok`;
 * - `changeListener`: the caches hear other processes' changes (PostgreSQL: the LISTEN session
 *   is proven; SQLite: always).
 *
 * Nothing is cached, so an outage shows on the next probe; a probe that comes while an earlier
 * probe's query is still out waits on that query instead of sending another, so a database that
 * hangs never piles probes up. From `shutDown()` on, every probe answers "shutting down" at
 * once, without a query.
 */
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/database.js';
import { LATEST_MIGRATION, lastAppliedMigration } from '../storage/migrate.js';
import { isStorageUnavailable } from '../storage/unavailable.js';

/** How long the database may take to answer a probe's query. */
export const READY_DEADLINE_MS = 2_000;
export const OK = 'ok';

export type ReadinessStatus = 'ready' | 'unavailable' | 'shutting down';

export interface ReadinessReport {
  status: ReadinessStatus;
  /** Each check's `ok` or what is wrong. */
  checks: Record<string, string>;
}

class ProbeTimeout extends Error {}

export class Readiness {
  #shuttingDown = false;
  #query: Promise<string | undefined> | undefined;
  #lastStatus: ReadinessStatus = 'ready';

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
    private readonly deadlineMs = READY_DEADLINE_MS,
  ) {
    // The PostgreSQL change listener opens on the first version(): open it now, so an idle
    // process becomes ready without waiting for its first cached read.
    storage.changes.version();
  }

  /** From now on every probe answers 503 "shutting down". */
  shutDown(): void {
    this.#shuttingDown = true;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  async check(): Promise<ReadinessReport> {
    if (this.#shuttingDown) return SHUTTING_DOWN;
    const checks: Record<string, string> = {};
    try {
      const applied = await this.#newestMigration();
      checks.database = OK;
      checks.migrations =
        applied !== undefined && applied >= LATEST_MIGRATION ? OK : `pending: the newest is ${LATEST_MIGRATION}`;
    } catch (error) {
      checks.database = describeFailure(error, this.deadlineMs);
      checks.migrations = 'unknown';
    }
    checks.keys = OK;
    checks.changeListener = this.storage.changes.isListening() ? OK : 'not listening (reconnecting)';
    if (this.#shuttingDown) return SHUTTING_DOWN;
    const status = Object.values(checks).every((value) => value === OK) ? 'ready' : 'unavailable';
    this.#logChange(status, checks);
    return { status, checks };
  }

  /** The one query, shared by every probe while it is out, raced against the deadline. */
  #newestMigration(): Promise<string | undefined> {
    if (!this.#query) {
      this.#query = lastAppliedMigration(this.storage.db).finally(() => {
        this.#query = undefined;
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProbeTimeout()), this.deadlineMs);
    });
    return Promise.race([this.#query, late]).finally(() => clearTimeout(timer));
  }

  /** One log line when the answer changes, not one per probe. */
  #logChange(status: ReadinessStatus, checks: Record<string, string>): void {
    if (status === this.#lastStatus) return;
    this.#lastStatus = status;
    if (status === 'ready') this.logger.info('ready again');
    else this.logger.warn({ checks }, 'not ready');
  }
}

const SHUTTING_DOWN: ReadinessReport = { status: 'shutting down', checks: { shutdown: 'in progress' } };

/** What a probe may tell anyone who asks: the kind of failure, never a host name or a message. */
function describeFailure(error: unknown, deadlineMs: number): string {
  if (error instanceof ProbeTimeout) return `no answer within ${deadlineMs} ms`;
  const code = (error as { code?: unknown }).code;
  const detail = typeof code === 'string' ? ` (${code})` : '';
  return isStorageUnavailable(error) ? `unavailable${detail}` : `failed${detail}`;
}
