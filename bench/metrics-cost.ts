/**
 * What Prometheus metrics cost (docs/running.md, "Metrics"): authorize and re-join throughput of
 * two `domus serve` children on one database, one with `DOMUS_METRICS=true` and one with
 * `false`, measured in interleaved rounds (the order alternating each round) so the machine's
 * noise hits both alike. The figure is the median of the rounds' ratios, metrics on over off.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { DatabaseTarget } from '../src/platform/config.js';
import { countRequests } from '../src/platform/metrics/http-metrics.js';
import { cpuMeter } from './cpu.js';
import {
  AUTHORIZE_PATH,
  deviceIds,
  isPermit,
  prepare,
  registerDemoClient,
  SERVICE_PROVIDER,
  writeProfiles,
} from './entitlements.js';
import { assertClean, type PreparedRequest, runLoad } from './load.js';
import { individualizeMany, joinAll, joinOnce, prepareJoins } from './machines.js';
import type { Settings } from './scenarios.js';
import { type DomusServer, startDomus } from './server-process.js';

/** Rounds per request kind; each round measures both servers once. */
export const METRICS_ROUNDS = 20;
export const METRICS_SAMPLE_MS = 1000;
const DEVICES = 500;
const MACHINES = 64;
const DOMAIN = 'bench-metrics';

export interface CostFigure {
  /** Requests per second of each round's sample. */
  on: number[];
  off: number[];
  /** The server's CPU time per request of each sample, µs (all its threads). */
  cpuOn: number[];
  cpuOff: number[];
}

export interface MetricsCost {
  authorize: CostFigure;
  join: CostFigure;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2
    ? (sorted[Math.floor(middle)] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Each round's ratio, metrics on over off: the two samples of a round ran back to back. */
export const roundRatios = (on: number[], off: number[]) => on.map((value, i) => value / (off[i] as number));
/** Rate, metrics on over off: the median of the rounds' ratios (1 = free; the target is ≥ 0.97). */
export const costRatio = (figure: CostFigure) => median(roundRatios(figure.on, figure.off));
/** CPU per request, metrics on over off: the median of the rounds' ratios (1 = free). */
export const cpuRatio = (figure: CostFigure) => median(roundRatios(figure.cpuOn, figure.cpuOff));
export const medianRate = median;

/** Both servers on `databaseUrl` (a fresh database), started one after the other (the first migrates and seeds). */
export async function measureMetricsCost(
  databaseUrl: string,
  target: DatabaseTarget,
  env: Record<string, string>,
  s: Settings,
): Promise<MetricsCost> {
  const masterKey = randomBytes(32);
  const common = { ...env, DOMUS_DEMO: 'true', DOMUS_THROTTLE: 'off', DOMUS_MASTER_KEY: masterKey.toString('base64') };
  const on = await startDomus({ databaseUrl, env: { ...common, DOMUS_METRICS: 'true' } });
  let off: DomusServer | undefined;
  try {
    off = await startDomus({ databaseUrl, env: { ...common, DOMUS_METRICS: 'false' } });
    const servers = { on, off };

    const { clientId, token } = await registerDemoClient(on);
    const devices = deviceIds('metrics', DEVICES);
    await writeProfiles(target, masterKey, clientId, devices);
    const body = Buffer.from(JSON.stringify({ resources: [SERVICE_PROVIDER] }));
    const authorizeRequests = devices.map((id) => prepare('POST', AUTHORIZE_PATH, token, id, body));
    s.log('  metrics on and off: authorize');
    const authorize = await interleave(servers, s, 'authorize', () => (i) => authorizeRequests[i % DEVICES], isPermit);

    const machines = await individualizeMany(on.url, MACHINES);
    await joinOnce(on.url, machines[0] as (typeof machines)[number], DOMAIN);
    await joinAll(on.url, machines.slice(1), DOMAIN);
    // Re-joins need a fresh message id each: enough for the fastest rate seen so far, and more.
    let perSecond = 2000;
    s.log('  metrics on and off: re-joins');
    const join = await interleave(
      servers,
      s,
      're-join',
      () => {
        const requests = prepareJoins(machines, DOMAIN, Math.ceil((perSecond * 1.5 * METRICS_SAMPLE_MS) / 1000));
        return (i) => requests[i];
      },
      undefined,
      (rate) => {
        perSecond = Math.max(perSecond, rate);
      },
    );
    return { authorize, join };
  } finally {
    await off?.stop();
    await on.stop();
  }
}

/** A warm-up of each server, then METRICS_ROUNDS rounds of one sample each, the order alternating. */
async function interleave(
  servers: { on: DomusServer; off: DomusServer },
  s: Settings,
  what: string,
  source: () => (i: number) => PreparedRequest | undefined,
  verify?: (body: Buffer) => boolean,
  seen: (perSecond: number) => void = () => {},
): Promise<CostFigure> {
  const sample = async (server: DomusServer, maxMs: number) => {
    const requests = source();
    const meter = cpuMeter(server.pid);
    const result = await runLoad({ origin: server.url, source: requests, concurrency: s.concurrency, maxMs, verify });
    const cpu = meter();
    assertClean(`${what}, metrics ${server === servers.on ? 'on' : 'off'}`, result);
    seen(result.perSecond);
    return { perSecond: result.perSecond, cpuUs: (cpu.server / result.perSecond) * 1e6 };
  };
  await sample(servers.on, s.warmupMs);
  await sample(servers.off, s.warmupMs);
  const figure: CostFigure = { on: [], off: [], cpuOn: [], cpuOff: [] };
  for (let round = 0; round < METRICS_ROUNDS; round++) {
    const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    for (const which of order) {
      const { perSecond, cpuUs } = await sample(servers[which], METRICS_SAMPLE_MS);
      figure[which].push(perSecond);
      figure[which === 'on' ? 'cpuOn' : 'cpuOff'].push(cpuUs);
    }
  }
  return figure;
}

/**
 * The onResponse hook of platform/metrics/http-metrics.ts alone, called in a loop with one
 * route's request and reply: nanoseconds per call, the median of 5 runs.
 */
export function measureHookNs(): number {
  let hook: ((request: unknown, reply: unknown, done: () => void) => void) | undefined;
  const app = { addHook: (_name: string, added: typeof hook) => (hook = added) } as unknown as FastifyInstance;
  countRequests([app], new Registry());
  if (!hook) throw new Error('countRequests added no hook');
  const request = { routeOptions: { url: '/api/v2/:serviceProvider/decisions/authorize/:mvpd' }, method: 'POST' };
  const reply = { statusCode: 200, elapsedTime: 3.2 };
  const done = () => {};
  const calls = 500_000;
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) hook(request, reply, done);
    runs.push(((performance.now() - started) * 1e6) / calls);
  }
  return median(runs);
}
