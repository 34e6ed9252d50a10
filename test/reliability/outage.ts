import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestDatabase } from '../support/databases.js';
import { domainRequest, individualize, post, protocolUrl } from '../support/machines.js';
import { type DomusProcess, loadTestEnv, startDomusServer } from '../support/processes.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface OutageRig {
  server: DomusProcess;
  proxy: TcpProxy;
  adminToken: string;
  alive(): boolean;
  /** Terminates every backend of the database but the caller's (57P01 on each). */
  terminateBackends(): Promise<void>;
  close(): Promise<void>;
}

/** Starts `domus serve` on `database` (PostgreSQL) through a TCP proxy. */
export async function startOutageRig(database: TestDatabase): Promise<OutageRig> {
  const target = new URL(database.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-outage-'));
  const env: Record<string, string> = {
    ...loadTestEnv(proxy.route(database.url)),
    DOMUS_DATA_DIR: dataDir,
    DOMUS_DB_POOL_SIZE: '4',
  };
  const adminToken = env.DOMUS_ADMIN_TOKEN ?? '';
  const server = await startDomusServer(env).catch(async (error) => {
    await proxy.close();
    throw error;
  });
  return {
    server,
    proxy,
    adminToken,
    alive: () => server.child.exitCode === null && server.child.signalCode === null,
    async terminateBackends() {
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        );
      } finally {
        await admin.end();
      }
    },
    async close() {
      await server.stop();
      await proxy.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Loops individualizing new machines and joining them to `domain` until stopped; tallies the answers. */
export function joinLoad(server: DomusProcess, domain: string, workers = 8) {
  const tally: Record<string, number> = {};
  const count = (kind: string) => {
    tally[kind] = (tally[kind] ?? 0) + 1;
  };
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const machine = await individualize(server.url);
        const answer = await post(protocolUrl(server.url, 'join', { anonymous: domain }), domainRequest(machine));
        count(answer.status === 200 ? '200' : `${answer.status} ${answer.body?.error?.name}`);
      } catch (error) {
        // "individualization failed: <status> <body>" (test/support/machines.ts), or a socket error
        const message = (error as Error).message;
        const status = /failed: (\d+)/.exec(message)?.[1] ?? '0';
        count(`${status} ${/"name":"(\w+)"/.exec(message)?.[1] ?? message.slice(0, 60)}`);
      }
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    tally,
    async stop() {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

/** Polls a join of a new machine until it succeeds; answers the milliseconds it took, or -1. */
export async function msUntilServing(server: DomusProcess, domain: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const machine = await individualize(server.url).catch(() => undefined);
    if (machine) {
      const answer = await post(protocolUrl(server.url, 'join', { anonymous: domain }), domainRequest(machine));
      if (answer.status === 200) return Date.now() - started;
    }
    await sleep(50);
  }
  return -1;
}

export interface OutageFigures {
  cycles: number;
  tally: Record<string, number>;
  /** Milliseconds from each restore to the first successful join. */
  recoveryMs: number[];
  processExited: boolean;
}

/** `cycles` times: terminate every backend under load, then cut the network for `cutMs` and restore it. */
export async function runOutageCycles(database: TestDatabase, cycles: number, cutMs = 2000): Promise<OutageFigures> {
  const rig = await startOutageRig(database);
  const recoveryMs: number[] = [];
  const load = joinLoad(rig.server, 'outage');
  try {
    for (let cycle = 0; cycle < cycles && rig.alive(); cycle++) {
      await sleep(500);
      await rig.terminateBackends();
      await sleep(500);
      await rig.proxy.cut();
      await sleep(cutMs);
      await rig.proxy.restore();
      recoveryMs.push(await msUntilServing(rig.server, 'outage', 30_000));
    }
    return { cycles, tally: await load.stop(), recoveryMs, processExited: !rig.alive() };
  } finally {
    await load.stop();
    await rig.close();
  }
}
