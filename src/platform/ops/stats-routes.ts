/**
 * `GET /admin/v1/stats` (docs/running.md, "Activity counts"): what the operator console's live
 * dashboard shows, from the server's own data, the same whichever process answers. Domains and
 * members are totals over the domains table (domain-totals.ts); the rest are the activity counts
 * (activity.ts) of the last `minutes` minutes, one entry per minute (zeros included), oldest
 * first, the current minute last. Counts reach the database every FLUSH_INTERVAL_MS, so the
 * newest lag that long.
 */
import { type Static, Type } from 'typebox';
import { type AdminGuard, adminErrors, adminScope, adminSecurity } from '../http/admin.js';
import type { HttpServer } from '../http/server.js';
import type { Storage } from '../storage/database.js';
import { type Activity, type ActivityRow, MINUTE_MS, minuteOf } from './activity.js';
import { DomainTotals } from './domain-totals.js';

const Counts = {
  joins: Type.Integer({ description: 'successful joins' }),
  leaves: Type.Integer({ description: 'committed leaves (a device leaving)' }),
  removals: Type.Integer({ description: 'committed removals of a member by another member' }),
  signIns: Type.Integer({ description: 'profiles made by a successful MVPD sign-in' }),
  logouts: Type.Integer({ description: 'logouts that ended a profile' }),
  decisions: Type.Integer({ description: 'preauthorize and authorize decisions, permit or deny' }),
  errors: Type.Record(Type.String(), Type.Integer(), {
    description: 'error answers by code: domain protocol error names (DOM_LIMIT…) and Pass API codes',
  }),
};
const Minute = Type.Object({ minute: Type.String({ format: 'date-time' }), ...Counts });
const Stats = Type.Object({
  at: Type.String({ format: 'date-time' }),
  domains: Type.Object({ anonymous: Type.Integer(), identity: Type.Integer() }),
  members: Type.Integer({ description: 'machines holding a slot, over every domain' }),
  minutes: Type.Array(Minute, { description: 'one entry per minute, oldest first, the current minute last' }),
  totals: Type.Object(Counts, { description: 'the minutes summed' }),
});
type MinuteCounts = Static<typeof Minute>;
type Totals = Static<typeof Stats>['totals'];

/** 1 to 60, in the decimal spelling only: query strings are text and nothing is coerced. */
const MinutesParam = Type.Optional(
  Type.String({ pattern: '^([1-9]|[1-5][0-9]|60)$', description: 'minutes to report, 1 to 60 (default 15)' }),
);
const DEFAULT_MINUTES = 15;

/** Which field of an entry each counted kind adds to (errors go by code). */
const FIELDS: Record<string, Exclude<keyof Totals, 'errors'>> = {
  join: 'joins',
  leave: 'leaves',
  remove: 'removals',
  sign_in: 'signIns',
  logout: 'logouts',
  decision: 'decisions',
};

const emptyCounts = (): Totals => ({
  joins: 0,
  leaves: 0,
  removals: 0,
  signIns: 0,
  logouts: 0,
  decisions: 0,
  errors: {},
});

function add(into: Totals, row: ActivityRow): void {
  const count = Number(row.count);
  if (row.kind === 'error') into.errors[row.code] = (into.errors[row.code] ?? 0) + count;
  else {
    const field = FIELDS[row.kind];
    if (field) into[field] += count;
  }
}

/** The minutes ending with the current one, each with its counts. */
export function minuteSeries(rows: ActivityRow[], last: number, minutes: number): MinuteCounts[] {
  const first = last - minutes + 1;
  const series = Array.from({ length: minutes }, (_, i) => ({
    minute: new Date((first + i) * MINUTE_MS).toISOString(),
    ...emptyCounts(),
  }));
  for (const row of rows) {
    const entry = series[Number(row.minute) - first];
    if (entry) add(entry, row);
  }
  return series;
}

function totalOf(series: MinuteCounts[]): Totals {
  const totals = emptyCounts();
  for (const { minute: _minute, errors, ...counts } of series) {
    for (const [field, count] of Object.entries(counts)) totals[field as keyof typeof counts] += count;
    for (const [code, count] of Object.entries(errors)) totals.errors[code] = (totals.errors[code] ?? 0) + count;
  }
  return totals;
}

export async function statsRoutes(
  app: HttpServer,
  deps: { storage: Storage; activity: Activity; guard: AdminGuard },
): Promise<void> {
  adminScope(app, deps.guard);
  const totals = new DomainTotals(deps.storage);
  const { 404: _notFound, 409: _conflict, ...errors } = adminErrors;

  app.get(
    '/stats',
    {
      schema: {
        tags: ['admin: operations'],
        security: adminSecurity,
        summary: 'live counts for the dashboard: domains, members, and activity per minute',
        querystring: Type.Object({ minutes: MinutesParam }),
        response: { 200: Stats, ...errors },
      },
    },
    async (request, reply) => {
      const minutes = request.query.minutes === undefined ? DEFAULT_MINUTES : Number(request.query.minutes);
      const now = Date.now();
      const last = minuteOf(now);
      const [domains, rows] = await Promise.all([totals.get(), deps.activity.read(last - minutes + 1, last)]);
      const series = minuteSeries(rows, last, minutes);
      return reply.header('cache-control', 'no-store').send({
        at: new Date(now).toISOString(),
        ...domains,
        minutes: series,
        totals: totalOf(series),
      });
    },
  );
}
