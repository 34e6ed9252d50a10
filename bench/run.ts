/**
 * `npm run bench`: domain join throughput and latency through HTTP on SQLite and PostgreSQL,
 * the crypto floor and a plain node:http reference; the household's member listing and removal
 * by domain size; what the operator console's pages ask of the admin API by domain size; the entitlement API's authorize and logout
 * next to a trivial fastify route; start-up time and memory, compiled and through tsx; what Prometheus metrics cost authorize and join; in one run. Prints the tables and writes docs/benchmarks.md
 * (and the raw figures to bench/results/latest.json).
 *
 * Options (for working on the benchmark; a published run uses none):
 *   --only=entitlements  run only these parts (comma-separated: domains, household, console, entitlements,
 *                        startup, metrics); a partial
 *                        run writes its Markdown to bench/results/latest.md, not docs/
 *   --profile            CPU-profile each server child into bench/results/profiles/<database>/
 *   --databases=sqlite   measure only these databases (comma-separated: sqlite, postgres)
 *   --members=N          size of the large domains (default DOMUS_BENCH_MEMBERS, else 1,000,000)
 *   --no-docs            do not rewrite docs/benchmarks.md
 * PostgreSQL: DOMUS_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a
 * throw-away database is created there and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPostgres, createSqlite, type TestDatabase } from '../test/support/databases.js';
import { CONSOLE_DEFAULTS, type ConsoleResult, measureConsole } from './console.js';
import { type CpuUse, cpuMeter } from './cpu.js';
import { measureFloor } from './crypto-floor.js';
import { type Measured, measureEntitlements, measureFastify } from './entitlements.js';
import { HOUSEHOLD_DEFAULTS, type HouseholdResult, measureHousehold } from './household.js';
import { assertClean, type LoadResult, type PreparedRequest, runLoad } from './load.js';
import { measureHookNs, measureMetricsCost } from './metrics-cost.js';
import { type DatabaseFigures, type EntitlementFigures, type Figures, markdown, summary } from './report.js';
import { measureScale, measureThroughput, type Settings } from './scenarios.js';
import { startDomus, startHello } from './server-process.js';
import { measureStartup } from './startup.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const POSTGRES_URL = process.env.DOMUS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const { values: options } = parseArgs({
  options: {
    only: { type: 'string', default: 'domains,household,console,entitlements,startup,metrics' },
    profile: { type: 'boolean', default: false },
    databases: { type: 'string', default: 'sqlite,postgres' },
    members: { type: 'string', default: process.env.DOMUS_BENCH_MEMBERS ?? '1000000' },
    'no-docs': { type: 'boolean', default: false },
  },
});

const PARTS = ['domains', 'household', 'console', 'entitlements', 'startup', 'metrics'] as const;
const STARTUP_ROUNDS = 7;
const parts = new Set(options.only.split(',').map((part) => part.trim()));
for (const part of parts) {
  if (!(PARTS as readonly string[]).includes(part))
    throw new Error(`--only: unknown part ${part} (${PARTS.join(', ')})`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const settings: Settings = {
  concurrency: 16,
  warmupMs: 1500,
  measureMs: 4000,
  maxRequests: 40_000,
  members: Number(options.members),
  rounds: 4,
  joinsPerRound: 250,
  log,
};
if (!Number.isInteger(settings.members) || settings.members < 100)
  throw new Error('--members must be an integer ≥ 100');

function onlyLocal(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`the benchmark only talks to a local PostgreSQL, not ${host}`);
  }
}

async function measureHello(): Promise<{ result: LoadResult; cpu: CpuUse }> {
  const hello = await startHello();
  try {
    const request: PreparedRequest = { method: 'GET', path: '/', headers: {} };
    const source = (i: number) => (i < 2_000_000 ? request : undefined);
    await runLoad({ origin: hello.url, source, concurrency: settings.concurrency, maxMs: settings.warmupMs });
    const meter = cpuMeter(hello.pid);
    const result = await runLoad({
      origin: hello.url,
      source,
      concurrency: settings.concurrency,
      maxMs: settings.measureMs,
    });
    const cpu = meter();
    assertClean('hello', result);
    return { result, cpu };
  } finally {
    await hello.stop();
  }
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
  } finally {
    await client.end();
  }
}

/**
 * The domain protocol's rate limits stay on, so a new machine's join pays for its buckets as in
 * production, but high enough that the thousands of machines of one benchmark address never meet
 * them (DOMUS_BENCH_DOMAIN_LIMITS=off measures without them).
 */
const DOMAIN_LIMIT = process.env.DOMUS_BENCH_DOMAIN_LIMITS === 'off' ? 'off' : '1000000/s,1000000';
const DOMAIN_LIMITS = {
  DOMUS_DOMAIN_CREATE_LIMIT_MACHINE: DOMAIN_LIMIT,
  DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS: DOMAIN_LIMIT,
  DOMUS_DOMAIN_JOIN_LIMIT_MACHINE: DOMAIN_LIMIT,
  DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS: DOMAIN_LIMIT,
};

async function measureDatabase(name: DatabaseFigures['name'], database: TestDatabase): Promise<DatabaseFigures> {
  const profileDir = options.profile
    ? path.join(REPO_ROOT, 'bench', 'results', 'profiles', name.toLowerCase())
    : undefined;
  const server = await startDomus({ databaseUrl: database.url, cpuProfileDir: profileDir, env: DOMAIN_LIMITS });
  log(`${name}: domus serve at ${server.url} (pid ${server.pid})`);
  try {
    const throughput = await measureThroughput(server, settings);
    const scale = await measureScale(server, database.target, settings);
    return { name, throughput, scale };
  } finally {
    await server.stop();
  }
}

/** The household's listing and removal on a fresh database of its own, a server of its own. */
async function measureHouseholdDatabase(
  name: DatabaseFigures['name'],
  database: TestDatabase,
): Promise<{ name: DatabaseFigures['name'] } & HouseholdResult> {
  const profileDir = options.profile
    ? path.join(REPO_ROOT, 'bench', 'results', 'profiles', `household-${name.toLowerCase()}`)
    : undefined;
  const server = await startDomus({ databaseUrl: database.url, cpuProfileDir: profileDir, env: DOMAIN_LIMITS });
  log(`${name}: household, domus serve at ${server.url} (pid ${server.pid})`);
  try {
    return {
      name,
      ...(await measureHousehold(server, database.target, { ...HOUSEHOLD_DEFAULTS, members: settings.members, log })),
    };
  } finally {
    await server.stop();
  }
}

/** The console's admin API calls on a fresh database of its own, a server of its own. */
async function measureConsoleDatabase(
  name: DatabaseFigures['name'],
  database: TestDatabase,
): Promise<{ name: DatabaseFigures['name'] } & ConsoleResult> {
  const profileDir = options.profile
    ? path.join(REPO_ROOT, 'bench', 'results', 'profiles', `console-${name.toLowerCase()}`)
    : undefined;
  const server = await startDomus({ databaseUrl: database.url, cpuProfileDir: profileDir, env: DOMAIN_LIMITS });
  log(`${name}: console, domus serve at ${server.url} (pid ${server.pid})`);
  try {
    return {
      name,
      ...(await measureConsole(server, database.target, { ...CONSOLE_DEFAULTS, members: settings.members, log })),
    };
  } finally {
    await server.stop();
  }
}

/** The entitlement API on a fresh database of its own, with the demo data and a master key the benchmark knows. */
async function measureEntitlementDatabase(
  name: DatabaseFigures['name'],
  database: TestDatabase,
): Promise<EntitlementFigures['databases'][number]> {
  const masterKey = randomBytes(32);
  const profileDir = options.profile
    ? path.join(REPO_ROOT, 'bench', 'results', 'profiles', `entitlements-${name.toLowerCase()}`)
    : undefined;
  const server = await startDomus({
    databaseUrl: database.url,
    cpuProfileDir: profileDir,
    env: { DOMUS_DEMO: 'true', DOMUS_THROTTLE: 'off', DOMUS_MASTER_KEY: masterKey.toString('base64') },
  });
  log(`${name}: entitlements, domus serve at ${server.url} (pid ${server.pid})`);
  try {
    return { name, ...(await measureEntitlements(server, database.target, masterKey, settings)) };
  } finally {
    await server.stop();
  }
}

/** Runs `measure` on a fresh database of each wanted kind; an unreachable PostgreSQL is noted, not fatal. */
async function eachDatabase<T extends { name: DatabaseFigures['name'] }>(
  wanted: Set<string>,
  measure: (name: DatabaseFigures['name'], database: TestDatabase) => Promise<T>,
  skipped: (name: DatabaseFigures['name'], why: string) => T,
): Promise<T[]> {
  const results: T[] = [];
  if (wanted.has('sqlite')) {
    const db = await createSqlite();
    try {
      results.push(await measure('SQLite', db));
    } finally {
      await db.drop();
    }
  }
  if (wanted.has('postgres')) {
    onlyLocal(POSTGRES_URL);
    let db: TestDatabase | undefined;
    try {
      db = await createPostgres(POSTGRES_URL);
    } catch (error) {
      log(`PostgreSQL unavailable at ${POSTGRES_URL}: ${(error as Error).message}`);
      results.push(skipped('PostgreSQL', `no server at ${POSTGRES_URL} (${(error as Error).message})`));
    }
    if (db) {
      try {
        results.push(await measure('PostgreSQL', db));
      } finally {
        await db.drop();
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  const started = performance.now();
  const wanted = new Set(options.databases.split(',').map((d) => d.trim()));
  let postgres = 'not measured';
  if (wanted.has('postgres')) {
    onlyLocal(POSTGRES_URL);
    postgres = await postgresVersion().catch(() => 'not measured');
  }

  let hello: Figures['hello'];
  const floors: Figures['floors'] = [];
  let databases: DatabaseFigures[] = [];
  if (parts.has('domains')) {
    log('plain node:http hello server');
    hello = await measureHello();
    log('crypto floor, 1 and 20 key versions');
    floors.push(measureFloor(1, 3000), measureFloor(20, 3000));
    databases = await eachDatabase(wanted, measureDatabase, (name, skipped) => ({ name, skipped }));
  }

  let household: Figures['household'];
  if (parts.has('household')) {
    household = await eachDatabase<NonNullable<Figures['household']>[number]>(
      wanted,
      measureHouseholdDatabase,
      (name, skipped) => ({ name, skipped }),
    );
  }

  let consolePages: Figures['console'];
  if (parts.has('console')) {
    consolePages = await eachDatabase<NonNullable<Figures['console']>[number]>(
      wanted,
      measureConsoleDatabase,
      (name, skipped) => ({ name, skipped }),
    );
  }

  let entitlements: EntitlementFigures | undefined;
  if (parts.has('entitlements')) {
    // The reference is measured before, between and after the databases' rows: the median of
    // those samples stands, so one burst of noise on this shared machine does not skew every ratio.
    const fastify: Measured[] = [];
    const sampleFastify = async () => {
      log(`trivial fastify route (sample ${fastify.length + 1})`);
      fastify.push(await measureFastify(settings));
    };
    await sampleFastify();
    const measured = await eachDatabase(
      wanted,
      async (name, database) => {
        if (fastify.length < 2 && name === 'PostgreSQL' && wanted.has('sqlite')) await sampleFastify();
        return measureEntitlementDatabase(name, database);
      },
      (name, skipped) => ({ name, skipped }),
    );
    await sampleFastify();
    entitlements = { fastify, databases: measured };
  }

  let metrics: Figures['metrics'];
  let metricsHookNs: number | undefined;
  if (parts.has('metrics')) {
    log('the metrics hook alone');
    metricsHookNs = measureHookNs();
    metrics = await eachDatabase<NonNullable<Figures['metrics']>[number]>(
      wanted,
      async (name, database) => {
        log(`${name}: metrics on and off`);
        return { name, ...(await measureMetricsCost(database.url, database.target, DOMAIN_LIMITS, settings)) };
      },
      (name, skipped) => ({ name, skipped }),
    );
  }

  let startup: Figures['startup'];
  if (parts.has('startup')) {
    log(`start-up time and memory, ${STARTUP_ROUNDS} rounds`);
    startup = await measureStartup(STARTUP_ROUNDS, log);
  }

  const args = process.argv.slice(2).join(' ');
  const figures: Figures = {
    facts: {
      command:
        process.env.npm_lifecycle_event === 'bench'
          ? `npm run bench${args ? ` -- ${args}` : ''}`
          : `node --import tsx bench/run.ts${args ? ` ${args}` : ''}`,
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      node: process.version,
      cpu: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
      postgres,
      concurrency: settings.concurrency,
      warmupMs: settings.warmupMs,
      measureMs: settings.measureMs,
      totalMs: performance.now() - started,
      profileDir: options.profile ? 'bench/results/profiles/' : undefined,
    },
    parts: PARTS.filter((part) => parts.has(part)),
    hello,
    floors,
    databases,
    household,
    console: consolePages,
    entitlements,
    startup,
    metrics,
    metricsHookNs,
  };

  process.stdout.write(`\n${summary(figures)}\n`);
  const results = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(results, { recursive: true });
  const withoutLatencies = JSON.stringify(figures, (key, value) => (key === 'latencies' ? undefined : value), 2);
  fs.writeFileSync(path.join(results, 'latest.json'), `${withoutLatencies}\n`);
  if (parts.size < PARTS.length) {
    fs.writeFileSync(path.join(results, 'latest.md'), markdown(figures));
    log('partial run: wrote bench/results/latest.md, left docs/benchmarks.md alone');
  } else if (!options['no-docs']) {
    fs.writeFileSync(path.join(REPO_ROOT, 'docs', 'benchmarks.md'), markdown(figures));
    log('wrote docs/benchmarks.md');
  }
}

// Every phase is bounded; this is the backstop should one hang anyway (children die with us).
const WATCHDOG_MS = 20 * 60_000;
const watchdog = setTimeout(() => {
  log(`benchmark still running after ${WATCHDOG_MS / 60_000} min: giving up`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
await main();
