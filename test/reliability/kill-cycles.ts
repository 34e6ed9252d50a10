import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage } from '../../src/platform/storage/database.js';
import type { TestDatabase } from '../support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from '../support/machines.js';
import { type DomusProcess, loadTestEnv, startDomusServer } from '../support/processes.js';

export interface KillCycleOptions {
  database: TestDatabase;
  cycles: number;
  /** The kill comes once the load has had this many joins acknowledged in the cycle (or after 30 s). */
  joinsBeforeKill: number;
  workers?: number;
  domains?: number;
}

export interface KillCycleFigures {
  cycles: number;
  acknowledgedJoins: number;
  acknowledgedLeaves: number;
  /** Acknowledged operations not found in the database after the restart: must be empty. */
  lost: string[];
  /** Domains whose member count differs from their member rows: must be empty. */
  miscounted: string[];
  /** Answers other than 200 while the process was alive, by status and error name. */
  refusals: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_LOAD_MS = 30_000;

export async function runKillCycles(options: KillCycleOptions): Promise<KillCycleFigures> {
  const { database, cycles, joinsBeforeKill, workers = 6, domains = 4 } = options;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-kill-'));
  const env = { ...loadTestEnv(database.url), DOMUS_DATA_DIR: dataDir };
  /** guid → domain, for every acknowledged join not followed by a leave commit (answered or not). */
  const members = new Map<string, string>();
  /** guid → domain of every acknowledged leave. */
  const left = new Map<string, string>();
  const refusals: Record<string, number> = {};
  let acknowledgedJoins = 0;
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const server = await startDomusServer(env);
      let killed = false;
      const loop = async (worker: number) => {
        for (let i = 0; !killed; i++) {
          const domain = `crash-${(worker + i) % domains}`;
          let machine: TestMachine;
          try {
            machine = await individualize(server.url);
            const joined = await post(protocolUrl(server.url, 'join', { anonymous: domain }), domainRequest(machine));
            if (joined.status !== 200) {
              tallyRefusal(refusals, joined, killed);
              continue;
            }
            acknowledgedJoins++;
            members.set(machine.guid, domain);
            if (i % 3 !== 0) continue;
            const leaveUrl = protocolUrl(server.url, 'leave', { anonymous: domain });
            const preview = await post(leaveUrl, domainRequest(machine, { op: 'leave', phase: 'preview' }));
            if (preview.status !== 200) continue;
            // From here until an answer, the machine may or may not be a member: a commit the
            // kill cuts off may have committed. Only an answered commit settles it.
            members.delete(machine.guid);
            const commit = await post(leaveUrl, domainRequest(machine, { op: 'leave', phase: 'commit' }));
            if (commit.status !== 200) {
              members.set(machine.guid, domain);
              tallyRefusal(refusals, commit, killed);
              continue;
            }
            left.set(machine.guid, domain);
          } catch {
            // The process was killed under this request: not acknowledged, either outcome is fine.
          }
        }
      };
      const loops = Array.from({ length: workers }, (_, worker) => loop(worker));
      // Kill under full load: once enough joins went through, at a random moment of the next 200 ms.
      const target = acknowledgedJoins + joinsBeforeKill;
      const giveUp = Date.now() + MAX_LOAD_MS;
      while (acknowledgedJoins < target && Date.now() < giveUp) await sleep(20);
      await sleep(Math.random() * 200);
      killed = true;
      server.child.kill('SIGKILL');
      await Promise.all(loops);
      await exited(server);
    }
    // One more start: the database must open and serve after the last kill.
    const server = await startDomusServer(env);
    server.child.kill('SIGTERM');
    await exited(server);
    return {
      cycles,
      acknowledgedJoins,
      acknowledgedLeaves: left.size,
      ...(await audit(database, members, left)),
      refusals,
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function tallyRefusal(refusals: Record<string, number>, answer: { status: number; body: unknown }, killed: boolean) {
  if (killed) return;
  const name = (answer.body as { error?: { name?: string } } | null)?.error?.name ?? '';
  const kind = `${answer.status} ${name}`;
  refusals[kind] = (refusals[kind] ?? 0) + 1;
}

const exited = (server: DomusProcess) =>
  server.child.exitCode !== null || server.child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => server.child.once('exit', () => resolve()));

/** Compares the acknowledged operations with what the database holds. */
async function audit(database: TestDatabase, members: Map<string, string>, left: Map<string, string>) {
  const storage = openStorage(database.target, 2);
  try {
    const rows = await storage.db
      .selectFrom('domain_registrations as r')
      .innerJoin('domains as d', 'd.id', 'r.domain_id')
      .select(['r.guid', 'd.name'])
      .where('d.mode', '=', 'anonymous')
      .execute();
    const stored = new Map(rows.map((row) => [row.guid, row.name]));
    const lost: string[] = [];
    for (const [guid, domain] of members) if (stored.get(guid) !== domain) lost.push(`join ${domain} ${guid}`);
    for (const [guid, domain] of left) if (stored.has(guid)) lost.push(`leave ${domain} ${guid}`);

    const counts = await storage.db
      .selectFrom('domains as d')
      .select(['d.name', 'd.member_count'])
      .select((eb) =>
        eb
          .selectFrom('domain_machines as m')
          .whereRef('m.domain_id', '=', 'd.id')
          .select((inner) => inner.fn.countAll().as('n'))
          .as('machines'),
      )
      .execute();
    const miscounted = counts
      .filter((row) => Number(row.machines) !== row.member_count)
      .map((row) => `${row.name}: member_count ${row.member_count}, ${row.machines} machines`);
    return { lost, miscounted };
  } finally {
    await storage.close();
  }
}
