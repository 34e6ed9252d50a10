/** The benchmark's figures as tables: printed after the run and written to docs/benchmarks.md. */
import { CONSOLE_DEFAULTS, CONSOLE_MEMBERS_PAGE, type ConsoleKind, type ConsoleResult } from './console.js';
import type { CpuUse } from './cpu.js';
import type { FloorResult } from './crypto-floor.js';
import type { EntitlementResult, Measured } from './entitlements.js';
import { HOUSEHOLD_DEFAULTS, type HouseholdResult, PAGE } from './household.js';
import type { LoadResult } from './load.js';
import {
  type CostFigure,
  costRatio,
  cpuRatio,
  METRICS_ROUNDS,
  METRICS_SAMPLE_MS,
  type MetricsCost,
  medianRate,
  roundRatios,
} from './metrics-cost.js';
import type { ScaleResult, ThroughputFigure } from './scenarios.js';
import { median, type StartupFigure } from './startup.js';

export const TARGETS = {
  joinVsFloor: 0.5,
  largeVsSmall: 1.5,
  entitlementVsFastify: 0.3,
  entitlementVsWorkFloor: 0.5,
  /** Server CPU per request with metrics over without. */
  metricsCpuOnVsOff: 1.03,
} as const;

export interface DatabaseFigures {
  name: 'SQLite' | 'PostgreSQL';
  throughput?: ThroughputFigure[];
  scale?: ScaleResult;
  /** Why a part was not measured. */
  skipped?: string;
}

export interface EntitlementFigures {
  /** Samples of the trivial fastify route, measured in the same run (before, between and after the databases). */
  fastify: Measured[];
  databases: Array<
    ({ name: DatabaseFigures['name'] } & EntitlementResult) | { name: DatabaseFigures['name']; skipped: string }
  >;
}

export interface RunFacts {
  command: string;
  date: string;
  node: string;
  cpu: string;
  postgres: string;
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  totalMs: number;
  profileDir?: string;
}

export interface Figures {
  facts: RunFacts;
  /** The parts this run measured (`--only`). */
  parts: string[];
  hello?: { result: LoadResult; cpu: CpuUse };
  floors: FloorResult[];
  databases: DatabaseFigures[];
  /** The household's member listing and removal by domain size, per database (bench/household.ts). */
  household?: Array<
    ({ name: DatabaseFigures['name'] } & HouseholdResult) | { name: DatabaseFigures['name']; skipped: string }
  >;
  /** What the operator console's pages ask of the admin API by domain size, per database (bench/console.ts). */
  console?: Array<
    ({ name: DatabaseFigures['name'] } & ConsoleResult) | { name: DatabaseFigures['name']; skipped: string }
  >;
  entitlements?: EntitlementFigures;
  /** Start-up time and memory of each way to run the server (bench/startup.ts). */
  startup?: StartupFigure[];
  /** Metrics on against off, per database (bench/metrics-cost.ts). */
  /** The metrics hook's own time per request, ns (bench/metrics-cost.ts). */
  metricsHookNs?: number;
  metrics?: Array<
    ({ name: DatabaseFigures['name'] } & MetricsCost) | { name: DatabaseFigures['name']; skipped: string }
  >;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}` : '–');
const mib = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)} %` : '–');
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** A Markdown table with padded columns, as the repository's formatter (biome) writes them. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${widths.map((width, i) => (cells[i] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function floorOf(figures: Figures, versions: number): number {
  return figures.floors.find((f) => f.versions === versions)?.perSecond ?? Number.NaN;
}

export function throughputTable(figures: Figures): string {
  const rows: string[][] = [];
  for (const db of figures.databases) {
    for (const t of db.throughput ?? []) {
      const floor = floorOf(figures, t.versions);
      const share = t.result.perSecond / floor;
      rows.push([
        db.name,
        String(t.versions),
        int(t.result.perSecond),
        ms(t.result.p50Ms),
        ms(t.result.p99Ms),
        int(t.result.completed),
        pct(t.cpu.server),
        pct(t.cpu.machine),
        int(floor),
        ratio(share),
        verdict(share >= TARGETS.joinVsFloor),
      ]);
    }
  }
  return table(
    [
      'Database',
      'Key versions',
      'Joins/s',
      'p50 ms',
      'p99 ms',
      'Requests',
      'Server CPU',
      'Machine CPU',
      'Crypto floor/s',
      'Join ÷ floor',
      `Target ≥ ${TARGETS.joinVsFloor}`,
    ],
    rows,
  );
}

/** A timing of the large-against-small tables: samples, median, and a high percentile. */
type Timing<K extends 'p95Ms' | 'p99Ms'> = { count: number; p50Ms: number } & Record<K, number>;

/**
 * The two rows of one comparison: the reference, then the measured one with its p50 and high
 * percentile (`tail`) ratios to the reference and their verdicts against the large ÷ small target.
 */
function comparedRows<K extends 'p95Ms' | 'p99Ms'>(
  lead: string[],
  reference: { cells: string[]; figure: Timing<K> },
  measured: { cells: string[]; figure: Timing<K> },
  tail: K,
): string[][] {
  const p50 = measured.figure.p50Ms / reference.figure.p50Ms;
  const high = measured.figure[tail] / reference.figure[tail];
  const name = tail === 'p95Ms' ? 'p95' : 'p99';
  const timing = (figure: Timing<K>) => [int(figure.count), ms(figure.p50Ms), ms(figure[tail])];
  return [
    [...lead, ...reference.cells, ...timing(reference.figure), '1', ''],
    [
      ...lead,
      ...measured.cells,
      ...timing(measured.figure),
      `${ratio(p50)} / ${ratio(high)}`,
      `p50 ${verdict(p50 <= TARGETS.largeVsSmall)}, ${name} ${verdict(high <= TARGETS.largeVsSmall)}`,
    ],
  ];
}

export function scaleTable(figures: Figures): string {
  const rows: string[][] = [];
  for (const db of figures.databases) {
    const scale = db.scale;
    if (!scale) continue;
    rows.push(
      ...comparedRows(
        [db.name],
        { cells: [int(scale.small.members)], figure: scale.small },
        { cells: [int(scale.large.members)], figure: scale.large },
        'p99Ms',
      ),
    );
  }
  return table(
    [
      'Database',
      'Members at start',
      'New-machine joins',
      'p50 ms',
      'p99 ms',
      '÷ 10-member (p50 / p99)',
      `Target ≤ ${TARGETS.largeVsSmall}×`,
    ],
    rows,
  );
}

export function householdTable(figures: Figures): string {
  const rows: string[][] = [];
  const operations = [
    ['firstPage', `members, first page (limit ${PAGE})`],
    ['middlePage', `members, page from the middle (limit ${PAGE})`],
    ['removal', 'removal (preview + commit)'],
  ] as const;
  for (const db of figures.household ?? []) {
    if ('skipped' in db) continue;
    for (const [kind, operation] of operations) {
      rows.push(
        ...comparedRows(
          [db.name, operation],
          { cells: [int(db.small.members)], figure: db.small[kind] },
          { cells: [int(db.large.members)], figure: db.large[kind] },
          'p95Ms',
        ),
      );
    }
  }
  return table(
    [
      'Database',
      'Operation',
      'Members',
      'Samples',
      'p50 ms',
      'p95 ms',
      '÷ 10-member (p50 / p95)',
      `Target ≤ ${TARGETS.largeVsSmall}×`,
    ],
    rows,
  );
}

function householdSection(figures: Figures): string {
  const populated = (figures.household ?? [])
    .map((db) => ('skipped' in db ? '' : `${db.name} in ${(db.populateMs / 1000).toFixed(1)} s`))
    .filter(Boolean)
    .join(', ');
  const measured = (figures.household ?? []).flatMap((db) => ('skipped' in db ? [] : [db]));
  const d = measured[0]?.plan ?? HOUSEHOLD_DEFAULTS;
  const large = measured[0]?.large.members ?? Number.NaN;
  const timed = measured
    .map(
      (db) =>
        `${db.name} ${(db.measureMs / 1000).toFixed(0)} s, ${db.loadAverage.map((n) => n.toFixed(1)).join(' → ')}`,
    )
    .join('; ');
  return `## Household devices: member listing and removal by domain size

A member of an anonymous domain lists the domain's members (\`POST …/flashaccess/members/v4\`)
and removes another member (\`POST …/flashaccess/remove/v4\`, a preview, then the commit), in a
domain of 10 members and in one of ${int(large)} members (filled with bulk SQL after its
remover joined through the protocol: ${populated || 'not measured'}), on one
\`domus serve\` in its own process, one request at a time on one keep-alive connection. After
${d.warmUp} of each as a warm-up, ${d.rounds} rounds of ${d.listsPerRound} first pages, ${d.listsPerRound} pages from the middle and ${d.removalsPerRound}
removals per domain, the two domains taking turns request by request (removal by removal), so
that a burst of noise on this shared machine hits both alike. Timed rounds, and the machine's
1-minute load average before → after them (2 is both cores busy):
${timed || 'not measured'}.

- **first page**: \`limit\` ${PAGE}, no cursor.
- **page from the middle**: \`limit\` ${PAGE}, the cursor of the member in the middle of the domain
  in GUID order.
- **removal**: both phases of one removal, timed together, each of another member (in the
  large domain, members spread at random over it, registrations written by the bulk fill; no
  removal limit is set). After each removal, untimed, a member is added back with SQL as the
  bulk fill adds them, so that both domains keep their size.

The target is the large domain within ${TARGETS.largeVsSmall}× of the small one. A page of the small domain holds
its 10 members at most (fewer from its middle) where the large one's holds ${PAGE}, which is part of
what the listing's ratio compares. \`node --import tsx bench/household-explain.ts\` shows where the
time goes by domain size: the same listing with \`limit\` 10 on both domains, and the plans and
direct times of the queries of a listing and a removal.

${householdTable(figures)}

`;
}

export function consoleTable(figures: Figures): string {
  const rows: string[][] = [];
  const operations: Array<[ConsoleKind, string, string, string]> = [
    ['pageLoad', "a domain's page (3 calls in parallel)", '10 members', 'N members'],
    ['middlePage', `members, page from the middle (limit ${CONSOLE_MEMBERS_PAGE})`, '10 members', 'N members'],
    ['memberSearch', 'domains search by member GUID', 'a member of 10', 'a member of N'],
    ['dashboard', 'dashboard: GET /stats', 'floor: GET the 10-member domain', 'N-member domain present'],
  ];
  for (const db of figures.console ?? []) {
    if ('skipped' in db) continue;
    for (const [kind, operation, referenceLabel, measuredLabel] of operations) {
      const { reference, measured } = db.pairs[kind];
      rows.push(
        ...comparedRows(
          [db.name, operation],
          { cells: [referenceLabel], figure: reference },
          { cells: [measuredLabel.replace('N', int(db.large))], figure: measured },
          'p99Ms',
        ),
      );
    }
  }
  return table(
    [
      'Database',
      'Console call',
      'Domain',
      'Samples',
      'p50 ms',
      'p99 ms',
      '÷ reference (p50 / p99)',
      `Target ≤ ${TARGETS.largeVsSmall}×`,
    ],
    rows,
  );
}

function consoleSection(figures: Figures): string {
  const measured = (figures.console ?? []).flatMap((db) => ('skipped' in db ? [] : [db]));
  const populated = measured.map((db) => `${db.name} in ${(db.populateMs / 1000).toFixed(1)} s`).join(', ');
  const d = measured[0]?.plan ?? CONSOLE_DEFAULTS;
  const large = measured[0]?.large ?? Number.NaN;
  const timed = measured
    .map(
      (db) =>
        `${db.name} ${(db.measureMs / 1000).toFixed(0)} s, ${db.loadAverage.map((n) => n.toFixed(1)).join(' → ')}`,
    )
    .join('; ');
  return `## Console: what its pages ask of the admin API by domain size

The operator console's pages call the admin API (\`/admin/v1\`) from the browser. The benchmark
signs in through the console's own form (\`POST /console/sign-in\` with the admin token) and
makes the same calls with the session cookie, not the bearer token, so the session check is part
of every request; on one \`domus serve\` in its own process, over up to 6 keep-alive connections as
a browser opens, one request (or page load) at a time. An anonymous domain of 10 members and one
of ${int(large)} members (filled with bulk SQL after its first 10 joined through the protocol:
${populated || 'not measured'}). After ${d.warmUp} of each as a warm-up, ${d.rounds} rounds of ${d.perRound} of each per side, the
two sides taking turns request by request, so that a burst of noise on this shared machine hits
both alike. Timed rounds, and the machine's 1-minute load average before → after them (2 is
both cores busy): ${timed || 'not measured'}.

- **a domain's page**: \`GET /domains/anonymous/{name}\`, \`GET …/members\` (first page, the
  default \`limit\` ${CONSOLE_MEMBERS_PAGE}) and \`GET …/events?limit=20\`, in parallel as the page makes them,
  timed until the last answer. The bulk fill writes no events: both domains' logs hold their
  first joins, and the newest 20 are read by the (domain, id) index whatever the log's length.
- **page from the middle**: \`GET …/members\` with the cursor of the member in the middle of the
  domain in GUID order.
- **domains search by member GUID**: \`GET /domains?member={guid}\`, each search of another member
  (in the large domain, members spread at random over it), found in its one domain.
- **dashboard**: \`GET /stats\` (domains, members and the last 15 minutes' activity) with the
  large domain present, against \`GET /domains/anonymous/{small}\`, a plain read of one domain,
  as the floor.

The target is the large domain within ${TARGETS.largeVsSmall}× of the small one, and the dashboard within
${TARGETS.largeVsSmall}× of the floor. A page of the small domain holds its 10 members at most (fewer from its
middle) where the large one's holds ${CONSOLE_MEMBERS_PAGE}, which is part of what the listings' ratios compare.
\`node --import tsx bench/console-explain.ts\` shows where the time goes by domain size: the page
from the middle with \`limit\` 4 on both domains (equal pages), and the plans and direct times of
the queries of a domain's page, the members list and the search by member.

${consoleTable(figures)}

`;
}

/** The sample of the trivial fastify route that the ratios use: the median by rate. */
export function fastifyReference(e: EntitlementFigures): Measured {
  const sorted = [...e.fastify].sort((a, b) => a.result.perSecond - b.result.perSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measured;
}

export function entitlementTable(figures: Figures): string {
  const e = figures.entitlements;
  if (!e) return '';
  const reference = fastifyReference(e);
  const fastify = reference.result.perSecond;
  const row = (database: string, request: string, m: Measured, target: boolean, floor?: Measured): string[] => {
    const share = m.result.perSecond / fastify;
    return [
      database,
      request,
      int(m.result.perSecond),
      ms(m.result.p50Ms),
      ms(m.result.p99Ms),
      int(m.result.completed),
      pct(m.cpu.server),
      int((m.cpu.server / m.result.perSecond) * 1e6),
      pct(m.cpu.machine),
      ratio(share),
      target ? verdict(share >= TARGETS.entitlementVsFastify) : '',
      floor ? ratio(m.result.perSecond / floor.result.perSecond) : '',
      floor ? verdict(m.result.perSecond / floor.result.perSecond >= TARGETS.entitlementVsWorkFloor) : '',
    ];
  };
  const rows = [row('–', `trivial fastify route (median of ${e.fastify.length})`, reference, false)];
  for (const db of e.databases) {
    if ('skipped' in db) continue;
    rows.push(
      row(db.name, 'API edge (401, no token)', db.edge, false),
      row(db.name, 'authorize', db.authorize, true, db.floor.authorize),
      row(db.name, 'logout', db.logout, true, db.floor.logout),
      row(db.name, 'work floor: authorize', db.floor.authorize, false),
      row(db.name, 'work floor: logout', db.floor.logout, false),
    );
  }
  return table(
    [
      'Database',
      'Request',
      'Per second',
      'p50 ms',
      'p99 ms',
      'Requests',
      'Server CPU',
      'Server µs/request',
      'Machine CPU',
      '÷ fastify',
      `Target ≥ ${TARGETS.entitlementVsFastify}`,
      '÷ work floor',
      `Target ≥ ${TARGETS.entitlementVsWorkFloor}`,
    ],
    rows,
  );
}

/** Start-up time and RSS, medians of the rounds, each variant next to the compiled one. */
export function startupTable(figures: Figures): string {
  const rows = figures.startup ?? [];
  const compiled = rows[0];
  const against = (value: number, base: number) => (base > 0 ? `${ratio(value / base)}×` : '–');
  return table(
    ['Started with', 'Rounds', 'Ready ms', 'RSS at ready MiB', 'RSS after 2,000 requests MiB', 'Ready ÷ compiled'],
    rows.map((row) => [
      `\`${row.variant.command}\``,
      String(row.readyMs.length),
      int(median(row.readyMs)),
      mib(median(row.rssReadyMiB)),
      mib(median(row.rssLoadedMiB)),
      compiled ? against(median(row.readyMs), median(compiled.readyMs)) : '–',
    ]),
  );
}

function startupSection(figures: Figures): string {
  return `## Start-up and memory

\`npm start\` runs the JavaScript that \`npm install\` compiles into \`dist/\`; before, it ran the
TypeScript sources through tsx, which compiled every module at each start. Each round restarts
the server on SQLite in a data directory a first, untimed start initialised (keys and
migrations in place); the two ways alternate which goes first. _Ready_ is spawn to listening
with every module mounted; RSS is the server process's resident memory, at ready and after
2,000 requests of the Domain CA certificate. Medians of the rounds.

${startupTable(figures)}

`;
}

export function metricsTable(figures: Figures): string {
  const rows: string[][] = [];
  const spread = (ratios: number[]) => {
    const sorted = [...ratios].sort((a, b) => a - b);
    return `${(sorted[0] as number).toFixed(2)}–${(sorted.at(-1) as number).toFixed(2)}`;
  };
  const row = (database: string, request: string, figure: CostFigure) => {
    const cpu = cpuRatio(figure);
    rows.push([
      database,
      request,
      int(medianRate(figure.cpuOn)),
      int(medianRate(figure.cpuOff)),
      cpu.toFixed(3),
      spread(roundRatios(figure.cpuOn, figure.cpuOff)),
      verdict(cpu <= TARGETS.metricsCpuOnVsOff),
      int(medianRate(figure.on)),
      int(medianRate(figure.off)),
      costRatio(figure).toFixed(3),
      spread(roundRatios(figure.on, figure.off)),
    ]);
  };
  for (const db of figures.metrics ?? []) {
    if ('skipped' in db) continue;
    row(db.name, 'authorize', db.authorize);
    row(db.name, 're-join, 1 key version', db.join);
  }
  return table(
    [
      'Database',
      'Request',
      'Server µs/request, on',
      'Server µs/request, off',
      'CPU on ÷ off',
      'Rounds',
      `Target ≤ ${TARGETS.metricsCpuOnVsOff}`,
      'Per second, on',
      'Per second, off',
      'Rate on ÷ off',
      'Rounds',
    ],
    rows,
  );
}

/** What metrics cost. */
function metricsSection(figures: Figures): string {
  const hook = figures.metricsHookNs;
  return `## What Prometheus metrics cost

Two \`domus serve\` children on one fresh database, the same in all but \`DOMUS_METRICS\`: one
serves \`/metrics\` (never scraped during the run), counts and times every request and collects
Node's process metrics (src/platform/metrics/); the other does none of that (the domain and
entitlement counters, a few nanoseconds each, count in both). Each request kind is warmed up on
both, then measured in ${METRICS_ROUNDS} rounds of ${METRICS_SAMPLE_MS / 1000} s per server, the two samples of a round back to back
and their order alternating, so a burst of noise on this shared machine hits both alike.

- **authorize**: as above, 500 devices with a profile; every answer a permit with a media token.
- **re-join**: 64 member machines of one anonymous domain with one key version, each request
  freshly signed.

What metrics cost is CPU time: _Server µs/request_ is the server's CPU time per request (all its
threads), which the load generator and the machine's other tenants sway far less than the rate.
_CPU on ÷ off_ is the median of the rounds' ratios, _Rounds_ their spread; the target is at most
3 % more CPU per request (≤ ${TARGETS.metricsCpuOnVsOff}). The rates are there too, ratio and spread alike, with
the noise of the rate in view. Per-figure values are medians of the rounds.${
    hook === undefined
      ? ''
      : `

The counting itself, measured apart in the benchmark's own process: the onResponse hook (one
histogram observation and one counter increment, each on a cached labelled child) takes
${int(hook)} ns a request.`
  }

${metricsTable(figures)}

`;
}

export function referenceTable(figures: Figures): string {
  const hello = figures.hello;
  return table(
    ['Reference', 'Per second', 'Note'],
    [
      ...(hello
        ? [
            [
              'plain node:http hello server',
              int(hello.result.perSecond),
              `same load generator and connections; p50 ${ms(hello.result.p50Ms)} ms, server CPU ${pct(hello.cpu.server)}, machine CPU ${pct(hello.cpu.machine)}`,
            ],
          ]
        : []),
      ...(figures.entitlements?.fastify ?? []).map((sample, i, samples) => [
        `trivial fastify route, sample ${i + 1} of ${samples.length}`,
        int(sample.result.perSecond),
        `same load generator and connections; p50 ${ms(sample.result.p50Ms)} ms, server CPU ${pct(sample.cpu.server)}, machine CPU ${pct(sample.cpu.machine)}`,
      ]),
      ...figures.floors.map((f) => [
        `crypto floor, ${f.versions} key version${f.versions === 1 ? '' : 's'}`,
        int(f.perSecond),
        `${int(f.iterations)} iterations on one core, no HTTP, no database`,
      ]),
    ],
  );
}

function skippedNotes(figures: Figures): string {
  const notes = [
    ...figures.databases.filter((db) => db.skipped).map((db) => `- ${db.name}: not measured — ${db.skipped}`),
    ...(figures.household ?? [])
      .filter((db) => 'skipped' in db)
      .map((db) => `- ${db.name}, household devices: not measured — ${'skipped' in db ? db.skipped : ''}`),
    ...(figures.console ?? [])
      .filter((db) => 'skipped' in db)
      .map((db) => `- ${db.name}, console: not measured — ${'skipped' in db ? db.skipped : ''}`),
    ...(figures.entitlements?.databases ?? [])
      .filter((db) => 'skipped' in db)
      .map((db) => `- ${db.name}, entitlement API: not measured — ${'skipped' in db ? db.skipped : ''}`),
    ...(figures.metrics ?? [])
      .filter((db) => 'skipped' in db)
      .map((db) => `- ${db.name}, metrics cost: not measured — ${'skipped' in db ? db.skipped : ''}`),
  ];
  return notes.length > 0 ? `\n${notes.join('\n')}\n` : '';
}

/** The tables for the terminal. */
export function summary(figures: Figures): string {
  const domains = figures.parts.includes('domains');
  return [
    ...(domains
      ? [
          'Join throughput (re-joins of member machines)',
          throughputTable(figures),
          '',
          'Join latency of new machines by domain size',
          scaleTable(figures),
          '',
        ]
      : []),
    ...(figures.household
      ? ['Household devices: member listing and removal by domain size', householdTable(figures), '']
      : []),
    ...(figures.console
      ? ['Console: what its pages ask of the admin API by domain size', consoleTable(figures), '']
      : []),
    ...(figures.entitlements
      ? ['Entitlement API: authorize and logout next to a trivial fastify route', entitlementTable(figures), '']
      : []),
    ...(figures.startup ? ['Start-up and memory', startupTable(figures), ''] : []),
    ...(figures.metrics ? ['What Prometheus metrics cost', metricsTable(figures), ''] : []),
    referenceTable(figures),
    skippedNotes(figures),
    `Total run time ${(figures.facts.totalMs / 1000).toFixed(0)} s`,
  ].join('\n');
}

function runTable(f: RunFacts): string {
  const rows = [
    ['Command', `\`${f.command}\``],
    ['Date', f.date],
    ['Node', f.node],
    ['Machine', f.cpu],
    ['PostgreSQL', f.postgres],
    [
      'Load',
      `${f.concurrency} keep-alive connections (node:http Agent), closed loop; ${f.warmupMs / 1000} s warm-up, then at most ${f.measureMs / 1000} s per figure`,
    ],
    ['Total run time', `${(f.totalMs / 1000).toFixed(0)} s`],
  ];
  if (f.profileDir) rows.push(['CPU profiles', `\`${f.profileDir}\``]);
  return table(['Run', ''], rows);
}

/** The domain server's sections. */
function domainSections(figures: Figures): string {
  return `## Join throughput

Re-joins of 64 machines that are already members of one anonymous domain, each request with a
fresh message id and timestamp (signed before the timed phase). _Crypto floor_ is the
signature checks and key wrapping of one join done in a plain loop (below); the target is a
join throughput of at least ${TARGETS.joinVsFloor} × the floor.

${throughputTable(figures)}

## Join latency by domain size

New machines (never seen before) joining an anonymous domain that starts with 1,000,000
members (filled with bulk SQL) and one that starts with 10, on the same server, one request at
a time, in alternating rounds. The target is the large domain within ${TARGETS.largeVsSmall}× of the small one.

${scaleTable(figures)}

`;
}

/** The entitlement API's section. */
function entitlementSection(figures: Figures): string {
  const profiles = (figures.entitlements?.databases ?? [])
    .map((db) =>
      'skipped' in db ? '' : `${int(db.profiles)} on ${db.name} in ${(db.profileWriteMs / 1000).toFixed(1)} s`,
    )
    .filter(Boolean)
    .join(', ');
  return `## Entitlement API: authorize and logout

\`domus serve\` with the demo data (\`DOMUS_DEMO=true\`, \`DOMUS_THROTTLE=off\`) on a fresh database.
The demo application's client registers (DCR) and gets its access token over HTTP; the viewers'
profiles (MVPD DemoCable, entitled to DemoChannel, valid for a day) are written straight into
the database before each timed phase, as a sign-in through the MVPD would leave them
(${profiles || 'none'}).

- **API edge**: the authorize request without an access token, which the API answers 401
  before any database read or signature: routing, header parsing, the enhanced-error answer.
- **authorize**: \`POST /api/v2/DemoChannel/decisions/authorize/DemoCable\` with
  \`{"resources":["DemoChannel"]}\`, the requests going round 1,000 devices that have a profile;
  every answer is checked to be a permit with a media token.
- **logout**: \`GET /api/v2/DemoChannel/logout/DemoCable?redirectUrl=http://localhost/done\`, each
  request from a device of its own (a logout deletes the profile), so every answer is checked
  to be \`logout\`/\`interactive\`. The warm-up sizes the timed run: 1.5 × what its rate needs.
- **work floor**: the same requests' own work, and nothing of the API around it, behind a bare
  fastify route in a process of its own on the same database (bench/work-floor-server.ts):
  authorize reads the profile, opens its sealed data and signs a media token on the crypto
  workers; logout seals the pending-logout record, then deletes the profile and stores the
  record in one write. No access token, device headers, operator data, validation or enhanced
  errors. _÷ work floor_ is the API's rate over the floor's: the share the API itself leaves.

_÷ fastify_ is the rate over that of a trivial fastify route (one GET answering a small JSON, in
its own process) with the same load, measured in the same run before, between and after the
databases' rows; the median of those samples is the reference (all of them are under
References). The issue's target is at least ${TARGETS.entitlementVsFastify}. It is within reach only when the work
floor is above it, which on this machine it often is not (a logout's durable write alone is
slower than that, whatever serves it), so the API is also held to at least
${TARGETS.entitlementVsWorkFloor} × its work floor, the same standard as a domain join against its crypto floor.

What a request costs beyond the edge is its own work, and a stateless server cannot skip it:
every authorize reads the device's profile from the shared database (a logout in another
process must take effect at once), opens the profile's sealed MVPD data and signs a media token
(ES256, on a crypto worker thread, the signatures of one event-loop turn sent as one message); a
logout deletes and reads the profile and writes its sealed pending-logout record in one
statement (PostgreSQL; one transaction on SQLite). What seldom changes is not read again: the
access token's signature is checked once per process and token, and the client registration,
service provider, MVPD and integration come from the process's shared cache, which every
operator change empties in all processes. Where the target is missed, the edge row shows whether the HTTP layer is the cause,
and the work-floor rows whether the target is within reach: a floor below the target means
that no server doing the same work on this database and machine meets it at that hour.

The reference is bound by the load generator, not by its server (its _Server CPU_ stays near
60 %), and its rate follows how fast this machine's system calls are at the time: on
2026-12-01 it was 7–10k/s in one hour and 42–47k/s in another, while an authorize's rate moved
far less and a logout's (bound by its durable write) less still. _Server µs/request_ (the
server's CPU time over its requests, all its threads) is the figure that does not depend on the
load generator; compare it across rows of one run.

${entitlementTable(figures)}

`;
}

/** docs/benchmarks.md, generated by each full run. */
export function markdown(figures: Figures): string {
  const f = figures.facts;
  return `# Benchmarks

<!-- Generated by \`npm run bench\` (bench/run.ts). Do not edit by hand: run it again. -->

Domain join throughput and latency of the DRM domain server and its household operations'
latency by domain size, what the operator console's pages ask of the admin API by domain size, and authorize and logout throughput of the entitlement API, measured through HTTP against \`domus serve\` running in its
own process; the server's start-up time and memory; and what Prometheus metrics cost.

${runTable(f)}

${figures.parts.includes('domains') ? domainSections(figures) : ''}${figures.household ? householdSection(figures) : ''}${figures.console ? consoleSection(figures) : ''}${figures.entitlements ? entitlementSection(figures) : ''}${figures.startup ? startupSection(figures) : ''}${figures.metrics ? metricsSection(figures) : ''}## References

${referenceTable(figures)}
${skippedNotes(figures)}
## How to read this

- The machine that produced these figures is shared and noisy (±25 % between runs is usual):
  compare figures of one run with each other, not with another run's. The hello server's
  rate is there to show how fast this machine was during this run.
- The server and the load generator are separate processes on a two-core machine, and
  PostgreSQL shares the same cores. The server is one Node process: HTTP handling and the
  database driver share its event loop; a domain request's signature checks and key wrapping
  run on a worker thread (\`DOMUS_CRYPTO_WORKERS\`, one on two cores).
- _Server CPU_ is the server process's CPU time over the timed phase (100 % = one core; a little
  more is possible from V8's helper threads). _Machine CPU_ is the busy share of all cores,
  whoever used them. Server CPU near 100 % means the figure is bound by the server's own work;
  machine CPU near 100 % with less server CPU means the cores were shared (the database, the
  load generator, other tenants); both low means waiting (locks, round trips).
- _Join ÷ floor_ compares the server with its unavoidable crypto done on one core in a tight
  loop (in the benchmark's own process, with warm caches). The server does that crypto on a
  worker thread next to its event loop, so with two cores the ratio can pass 0.5 while the
  crypto is still half of the work or more; _Server CPU_ says how many cores it took.
- p50/p99 are nearest-rank percentiles over every successful request of the timed phase; any
  failed request aborts the run, so every figure counts only successful joins. A p99 of a few
  hundred samples rests on its few slowest requests: read it as a rough figure.
- The 10-member domain grows by the new machines joining it during the measurement (a thousand
  or so), which keeps it small next to a million.
- \`npm run bench -- --profile\` writes a V8 CPU profile of each server child to
  \`bench/results/profiles/\`; \`node --import tsx bench/profile-summary.ts <file>\` says where
  the time went.
`;
}
