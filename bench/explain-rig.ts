/**
 * What the explain scripts (bench/household-explain.ts, bench/console-explain.ts) share: their
 * options, a 10-member and a large anonymous domain made as the benchmarks make them (10 joins
 * each through the protocol, then the large one filled with bulk SQL), and the run over each
 * database kind asked for, each on a fresh database with its own server.
 */
import { parseArgs } from 'node:util';
import { createPostgres, createSqlite, type TestDatabase } from '../test/support/databases.js';
import type { TestMachine } from '../test/support/machines.js';
import { individualizeMany, joinAll, joinOnce } from './machines.js';
import { populate } from './populate.js';
import { type DomusServer, startDomus } from './server-process.js';

const { values: options } = parseArgs({
  options: {
    databases: { type: 'string', default: 'sqlite,postgres' },
    members: { type: 'string', default: process.env.DOMUS_BENCH_MEMBERS ?? '1000000' },
  },
});
export const MEMBERS = Number(options.members);
const POSTGRES_URL = process.env.DOMUS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const SMALL = 'explain-small';
export const LARGE = 'explain-large';
const LIMIT = '1000000/s,1000000';

export const out = (line = '') => process.stdout.write(`${line}\n`);

/**
 * A server on `database` with both domains made; answers it and the first machine of each domain
 * (the one that made it).
 */
export async function setUpDomains(
  database: TestDatabase,
): Promise<{ server: DomusServer; first: Record<string, TestMachine> }> {
  const server = await startDomus({
    databaseUrl: database.url,
    env: {
      DOMUS_DOMAIN_CREATE_LIMIT_MACHINE: LIMIT,
      DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS: LIMIT,
      DOMUS_DOMAIN_JOIN_LIMIT_MACHINE: LIMIT,
      DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS: LIMIT,
    },
  });
  const machines = await individualizeMany(server.url, 20);
  const first: Record<string, TestMachine> = {};
  for (const [i, domain] of [SMALL, LARGE].entries()) {
    const mine = machines.slice(i * 10, i * 10 + 10);
    await joinOnce(server.url, mine[0] as TestMachine, domain);
    await joinAll(server.url, mine.slice(1), domain);
    first[domain] = mine[0] as TestMachine;
  }
  const filled = await populate(database.target, LARGE, MEMBERS - 10);
  out(`populated ${LARGE} to ${filled.memberCount.toLocaleString('en')} in ${(filled.elapsedMs / 1000).toFixed(1)} s`);
  return { server, first };
}

/** Runs `body` on a fresh database of each kind asked for (`--databases`), dropped afterwards. */
export async function forEachDatabase(body: (database: TestDatabase) => Promise<void>): Promise<void> {
  const wanted = new Set(options.databases.split(',').map((d) => d.trim()));
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!wanted.has(kind)) continue;
    out(`\n## ${kind}, ${MEMBERS.toLocaleString('en')} members\n`);
    const database = kind === 'sqlite' ? await createSqlite() : await createPostgres(POSTGRES_URL);
    try {
      await body(database);
    } finally {
      await database.drop();
    }
  }
}
