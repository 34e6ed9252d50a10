/**
 * `npm run reliability`: the long versions of the reliability tests (docs/reliability.md), on
 * SQLite and, when DOMUS_TEST_DATABASE_URL names a server, PostgreSQL. Prints one JSON line of
 * figures per run and a summary; exits non-zero when any run lost an operation, answered 5xx
 * where it must not, or left a count wrong.
 *
 *   DOMUS_RELIABILITY_ONLY=kill,outage   run only these parts (fuzz, race, kill, outage)
 *   DOMUS_RELIABILITY_FUZZ_CASES=100000  fuzz cases per database (seed: DOMUS_FUZZ_SEED)
 *   DOMUS_RELIABILITY_RACE_JOINS=10000   racing joins (two processes, PostgreSQL only)
 *   DOMUS_RELIABILITY_KILL_CYCLES=5      kill -9 cycles per database
 *   DOMUS_RELIABILITY_OUTAGE_CYCLES=5    PostgreSQL outage cycles
 */
import { POSTGRES_URL, type TestDatabase, testDatabases } from '../support/databases.js';
import { runFuzz } from '../support/fuzz.js';
import { runKillCycles } from './kill-cycles.js';
import { runOutageCycles } from './outage.js';
import { runRace } from './race.js';

const only = new Set((process.env.DOMUS_RELIABILITY_ONLY ?? 'fuzz,race,kill,outage').split(','));
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

interface Part {
  name: string;
  /** Runs on a fresh throw-away database, which main() drops afterwards. */
  run(database: TestDatabase): Promise<{ ok: boolean; figures: unknown }>;
  postgresOnly?: boolean;
}

const parts: Part[] = [
  {
    name: 'fuzz',
    async run(database) {
      const result = await runFuzz({
        database,
        cases: number('DOMUS_RELIABILITY_FUZZ_CASES', 100_000),
        seed: number('DOMUS_FUZZ_SEED', Date.now() % 2 ** 31),
      });
      return { ok: result.failures.length === 0, figures: result };
    },
  },
  {
    name: 'race',
    postgresOnly: true,
    async run(database) {
      const figures = await runRace({
        database,
        joins: number('DOMUS_RELIABILITY_RACE_JOINS', 10_000),
        domains: 100,
        limit: 5,
        machines: 1_000,
        processes: 2,
      });
      const ok = figures.serverErrors === 0 && figures.transportErrors === 0 && figures.problems.length === 0;
      return { ok, figures };
    },
  },
  {
    name: 'kill',
    async run(database) {
      const figures = await runKillCycles({
        database,
        cycles: number('DOMUS_RELIABILITY_KILL_CYCLES', 5),
        joinsBeforeKill: 100,
      });
      const ok =
        figures.lost.length === 0 && figures.miscounted.length === 0 && Object.keys(figures.refusals).length === 0;
      return { ok, figures };
    },
  },
  {
    name: 'outage',
    postgresOnly: true,
    async run(database) {
      const figures = await runOutageCycles(database, number('DOMUS_RELIABILITY_OUTAGE_CYCLES', 5));
      const ok =
        !figures.processExited &&
        figures.recoveryMs.every((ms) => ms >= 0) &&
        Object.keys(figures.tally).every((kind) => /^(200|503 SERVER_UNAVAILABLE)$/.test(kind));
      return { ok, figures };
    },
  },
];

async function main(): Promise<number> {
  if (!POSTGRES_URL) console.error('DOMUS_TEST_DATABASE_URL is not set: PostgreSQL runs are skipped');
  let failed = 0;
  for (const part of parts.filter((p) => only.has(p.name))) {
    for (const kind of testDatabases()) {
      if (part.postgresOnly && kind.name !== 'postgres') continue;
      const started = Date.now();
      const database = await kind.create();
      const { ok, figures } = await part.run(database).finally(() => database.drop());
      if (!ok) failed++;
      console.log(
        JSON.stringify({ part: part.name, database: kind.name, ok, seconds: (Date.now() - started) / 1000, figures }),
      );
    }
  }
  console.log(failed === 0 ? 'reliability: every run held' : `reliability: ${failed} run(s) failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
