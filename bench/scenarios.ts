/**
 * What the benchmark measures on one database, against one `domus serve` child:
 * re-join throughput with 1 and with 20 key versions, and the join latency of new machines into
 * an anonymous domain of 1,000,000 members versus one of 10.
 */
import type { DatabaseTarget } from '../src/platform/config.js';
import { type CpuUse, cpuMeter } from './cpu.js';
import { assertClean, type LoadResult, mergePercentiles, runLoad } from './load.js';
import { individualizeMany, joinAll, joinOnce, prepareJoins, type TestMachine } from './machines.js';
import { populate } from './populate.js';
import type { DomusServer } from './server-process.js';

export interface Settings {
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Upper bound of prepared requests per measurement. */
  maxRequests: number;
  members: number;
  /** Scale test: rounds, and new-machine joins per domain per round. */
  rounds: number;
  joinsPerRound: number;
  log: (line: string) => void;
}

export interface ThroughputFigure {
  versions: number;
  result: LoadResult;
  cpu: CpuUse;
}

export interface ScaleFigure {
  members: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ScaleResult {
  small: ScaleFigure;
  large: ScaleFigure;
  populateMs: number;
}

const REJOIN_MACHINES = 64;
const KEYS_DOMAIN = 'bench-keys';
const SMALL_DOMAIN = 'bench-small';
const LARGE_DOMAIN = 'bench-large';
const SEED_MEMBERS = 10;
const WARM_JOINS = 20;

/** Joins `machines` into `domain`: the first alone (it creates the domain and its key), the rest 4 at a time. */
async function seed(url: string, machines: TestMachine[], domain: string) {
  const [first, ...rest] = machines;
  if (!first) throw new Error('no machine to seed with');
  await joinOnce(url, first, domain);
  return (await joinAll(url, rest, domain)) ?? (await joinOnce(url, first, domain));
}

/**
 * Re-joins of member machines, each request freshly signed before the timed phase: a warm-up
 * sizes the timed run (1.5 × what the warm-up rate would need), bounded by `maxRequests` and `measureMs`.
 */
async function measureRejoins(
  server: DomusServer,
  machines: TestMachine[],
  s: Settings,
): Promise<{ result: LoadResult; cpu: CpuUse }> {
  const load = (requests: ReturnType<typeof prepareJoins>, maxMs: number) =>
    runLoad({ origin: server.url, source: (i) => requests[i], concurrency: s.concurrency, maxMs });
  const warmup = await load(prepareJoins(machines, KEYS_DOMAIN, Math.ceil(s.maxRequests / 5)), s.warmupMs);
  assertClean('warm-up', warmup);
  const count = Math.min(s.maxRequests, Math.ceil((warmup.perSecond * s.measureMs * 1.5) / 1000));
  const requests = prepareJoins(machines, KEYS_DOMAIN, count);
  const meter = cpuMeter(server.pid);
  const result = await load(requests, s.measureMs);
  const cpu = meter();
  assertClean('re-joins', result);
  return { result, cpu };
}

export async function measureThroughput(server: DomusServer, s: Settings): Promise<ThroughputFigure[]> {
  const machines = await individualizeMany(server.url, REJOIN_MACHINES);
  let answer = await seed(server.url, machines, KEYS_DOMAIN);
  if (answer.credentials.length !== 1) throw new Error(`expected 1 key version, got ${answer.credentials.length}`);
  const figures: ThroughputFigure[] = [];
  s.log(`  re-joins, 1 key version, ${s.concurrency} connections`);
  figures.push({ versions: 1, ...(await measureRejoins(server, machines, s)) });

  for (let round = 0; round < 19; round++) {
    const rollover = await server.admin('POST', `/domains/anonymous/${KEYS_DOMAIN}/rollover`);
    if (rollover.status !== 200)
      throw new Error(`rollover failed: ${rollover.status} ${JSON.stringify(rollover.body)}`);
    answer = await joinOnce(server.url, machines[round % machines.length] as TestMachine, KEYS_DOMAIN);
  }
  if (answer.credentials.length !== 20) throw new Error(`expected 20 key versions, got ${answer.credentials.length}`);
  s.log(`  re-joins, 20 key versions, ${s.concurrency} connections`);
  figures.push({ versions: 20, ...(await measureRejoins(server, machines, s)) });
  return figures;
}

/**
 * New machines joining a domain of `s.members` members and one of 10, one request at a time,
 * in alternating rounds so that machine noise hits both alike.
 */
export async function measureScale(server: DomusServer, target: DatabaseTarget, s: Settings): Promise<ScaleResult> {
  const seeds = await individualizeMany(server.url, 2 * SEED_MEMBERS);
  await seed(server.url, seeds.slice(0, SEED_MEMBERS), SMALL_DOMAIN);
  await seed(server.url, seeds.slice(SEED_MEMBERS), LARGE_DOMAIN);

  s.log(`  populating ${LARGE_DOMAIN} to ${s.members.toLocaleString('en')} members with bulk SQL`);
  const filled = await populate(target, LARGE_DOMAIN, s.members - SEED_MEMBERS);
  if (filled.memberCount !== s.members) throw new Error(`populated to ${filled.memberCount}, not ${s.members}`);
  const details = await server.admin('GET', `/domains/anonymous/${LARGE_DOMAIN}`);
  if (details.body?.members !== s.members) throw new Error(`server sees ${details.body?.members} members`);
  s.log(`  populated in ${(filled.elapsedMs / 1000).toFixed(1)} s`);

  const perDomain = WARM_JOINS + s.rounds * s.joinsPerRound;
  s.log(`  individualizing ${2 * perDomain} new machines`);
  const fresh = await individualizeMany(server.url, 2 * perDomain);
  const pool: Record<string, TestMachine[]> = {
    [SMALL_DOMAIN]: fresh.slice(0, perDomain),
    [LARGE_DOMAIN]: fresh.slice(perDomain),
  };
  const take = (domain: string, n: number) => pool[domain]?.splice(0, n) ?? [];

  const run = async (domain: string, n: number, maxMs: number) => {
    const requests = prepareJoins(take(domain, n), domain, n);
    const result = await runLoad({ origin: server.url, source: (i) => requests[i], concurrency: 1, maxMs });
    assertClean(`new joins into ${domain}`, result);
    return result;
  };
  for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) await run(domain, WARM_JOINS, s.measureMs);

  s.log(`  new-machine joins, ${s.rounds} alternating rounds of ${s.joinsPerRound} per domain, one at a time`);
  const samples: Record<string, number[]> = { [SMALL_DOMAIN]: [], [LARGE_DOMAIN]: [] };
  const roundMs = s.measureMs / 2;
  for (let round = 0; round < s.rounds; round++) {
    const order = round % 2 === 0 ? [SMALL_DOMAIN, LARGE_DOMAIN] : [LARGE_DOMAIN, SMALL_DOMAIN];
    for (const domain of order) samples[domain]?.push(...(await run(domain, s.joinsPerRound, roundMs)).latencies);
  }
  const figure = (domain: string, members: number): ScaleFigure => ({
    members,
    ...mergePercentiles(samples[domain] ?? []),
  });
  return {
    small: figure(SMALL_DOMAIN, SEED_MEMBERS),
    large: figure(LARGE_DOMAIN, s.members),
    populateMs: filled.elapsedMs,
  };
}
