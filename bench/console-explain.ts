/**
 * Where the console's admin API calls spend their time by domain size, for when `npm run bench`
 * finds a ratio over its target (bench/console.ts): on a fresh database per kind, a 10-member and
 * a large anonymous domain as the benchmark makes them, then
 *   - the members list from the middle over HTTP with `limit` 4 (what the 10-member domain's
 *     middle holds) and 50 on both domains, so that equal pages are compared;
 *   - the query plans (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY PLAN) and
 *     the direct time of the queries of a domain's page, the members list and the search by
 *     member (src/domains/admin.ts, store.ts, key-rows.ts, events.ts), in the SQL that Kysely sends for them.
 *
 *   node --import tsx bench/console-explain.ts [--databases=sqlite,postgres] [--members=N]
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from '../test/support/databases.js';
import { forEachDatabase, LARGE, out, SMALL, setUpDomains } from './explain-rig.js';
import { direct } from './household.js';
import { percentile } from './load.js';
import type { DomusServer } from './server-process.js';

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

interface Facts {
  name: string;
  id: number;
  /** The GUID in the middle of the domain, the cursor of the middle page. */
  middle: string;
  /** A member, for the search by member. */
  member: string;
}

async function setUp(database: TestDatabase): Promise<{ server: DomusServer; facts: Record<string, Facts> }> {
  const { server } = await setUpDomains(database);
  const db = await direct(database.target);
  const facts: Record<string, Facts> = {};
  try {
    for (const domain of [SMALL, LARGE]) {
      const details = await server.admin('GET', `/domains/anonymous/${domain}`);
      const found = await server.admin('GET', `/domains?mode=anonymous&q=${domain}`);
      if (details.status !== 200 || found.status !== 200) throw new Error(`no domain ${domain}`);
      const middle = await db.middleGuid(domain);
      const [member] = await db.sampleGuids(domain, 1, new Set());
      const id = await domainId(database, domain);
      facts[domain] = { name: domain, id, middle, member: member as string };
    }
  } finally {
    await db.close();
  }
  return { server, facts };
}

async function domainId(database: TestDatabase, name: string): Promise<number> {
  const sql = `select id from domains where mode = 'anonymous' and name = `;
  if (database.target.kind === 'sqlite') {
    const db = new SqliteDatabase(database.target.file, { readonly: true });
    try {
      return (db.prepare(`${sql}?`).get(name) as { id: number }).id;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.target.url });
  await client.connect();
  try {
    return (await client.query(`${sql}$1`, [name])).rows[0].id as number;
  } finally {
    await client.end();
  }
}

/** The middle page over HTTP by domain and limit, in alternating rounds: median and p99. */
async function httpMiddlePage(server: DomusServer, facts: Record<string, Facts>): Promise<void> {
  const samples = new Map<string, number[]>();
  const one = async (domain: string, limit: number, keep: boolean) => {
    const cursor = Buffer.from(facts[domain]?.middle as string).toString('base64url');
    const started = performance.now();
    const answer = await server.admin('GET', `/domains/anonymous/${domain}/members?cursor=${cursor}&limit=${limit}`);
    const elapsed = performance.now() - started;
    if (answer.status !== 200) throw new Error(`members of ${domain}: ${answer.status}`);
    const key = `${domain} limit ${limit} (${answer.body.items.length} members)`;
    if (keep) samples.set(key, [...(samples.get(key) ?? []), elapsed]);
  };
  for (const domain of [SMALL, LARGE])
    for (const limit of [4, 50]) for (let i = 0; i < 20; i++) await one(domain, limit, false);
  for (let i = 0; i < 200; i++) {
    const order = i % 2 === 0 ? [SMALL, LARGE] : [LARGE, SMALL];
    for (const limit of [4, 50]) for (const domain of order) await one(domain, limit, true);
  }
  out('\nmembers from the middle over HTTP (bearer token), one request at a time (200 each):');
  for (const [key, values] of samples) {
    const s = sorted(values);
    out(`  ${key}: median ${percentile(s, 0.5).toFixed(2)} ms, p99 ${percentile(s, 0.99).toFixed(2)} ms`);
  }
}

interface Query {
  name: string;
  sql: string;
  params: (f: Facts) => unknown[];
}

/** The queries of the console's calls, as Kysely sends them (PostgreSQL placeholders). */
const QUERIES: Query[] = [
  {
    name: 'findDomain',
    sql: 'select * from "domains" where "mode" = $1 and "name" = $2',
    params: (f) => ['anonymous', f.name],
  },
  {
    name: 'listKeys',
    sql: 'select * from "domain_keys" where "domain_id" = $1 order by "version"',
    params: (f) => [f.id],
  },
  {
    name: 'members, first page (limit 50 + 1)',
    sql: 'select "r"."guid", "r"."machine_row", "m"."components", "r"."first_seen", "r"."last_seen", "r"."label" from "domain_registrations" as "r" inner join "domain_machines" as "m" on "m"."id" = "r"."machine_row" where "r"."domain_id" = $1 order by "r"."guid" limit $2',
    params: (f) => [f.id, 51],
  },
  {
    name: 'members, from the middle (limit 50 + 1)',
    sql: 'select "r"."guid", "r"."machine_row", "m"."components", "r"."first_seen", "r"."last_seen", "r"."label" from "domain_registrations" as "r" inner join "domain_machines" as "m" on "m"."id" = "r"."machine_row" where "r"."domain_id" = $1 and "r"."guid" > $2 order by "r"."guid" limit $3',
    params: (f) => [f.id, f.middle, 51],
  },
  {
    name: 'members, from the middle (limit 4 + 1)',
    sql: 'select "r"."guid", "r"."machine_row", "m"."components", "r"."first_seen", "r"."last_seen", "r"."label" from "domain_registrations" as "r" inner join "domain_machines" as "m" on "m"."id" = "r"."machine_row" where "r"."domain_id" = $1 and "r"."guid" > $2 order by "r"."guid" limit $3',
    params: (f) => [f.id, f.middle, 5],
  },
  {
    name: 'events (limit 20)',
    sql: 'select * from "domain_events" where "domain_id" = $1 order by "id" desc limit $2',
    params: (f) => [f.id, 20],
  },
  {
    name: 'domains by member GUID (limit 50 + 1)',
    sql: 'select * from "domains" where "id" in (select "domain_id" from "domain_registrations" where "guid" = $1) order by "id" limit $2',
    params: (f) => [f.member, 51],
  },
];

async function explainPostgres(url: string, facts: Record<string, Facts>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const q of QUERIES) {
      out(`\n### ${q.name}\n${q.sql}`);
      for (const domain of [SMALL, LARGE]) {
        const plan = await client.query(
          `explain (analyze, buffers, costs off) ${q.sql}`,
          q.params(facts[domain] as Facts),
        );
        out(`-- ${domain}:`);
        for (const line of plan.rows) out(`   ${line['QUERY PLAN']}`);
      }
    }
    out('\ndirect time of each query (named statement), median / p99 of 300, ms:');
    for (const [i, q] of QUERIES.entries()) {
      const times: Record<string, number[]> = { [SMALL]: [], [LARGE]: [] };
      for (let n = 0; n < 300; n++) {
        for (const domain of n % 2 === 0 ? [SMALL, LARGE] : [LARGE, SMALL]) {
          const started = performance.now();
          await client.query({ name: `c_${i}`, text: q.sql, values: q.params(facts[domain] as Facts) });
          times[domain]?.push(performance.now() - started);
        }
      }
      report(q.name, times, 3);
    }
  } finally {
    await client.end();
  }
}

function explainSqlite(file: string, facts: Record<string, Facts>): void {
  const db = new SqliteDatabase(file, { readonly: true });
  try {
    const sqlite = (text: string) => text.replace(/\$\d+/g, '?');
    for (const q of QUERIES) {
      out(`\n### ${q.name}\n${sqlite(q.sql)}`);
      const plan = db
        .prepare(`explain query plan ${sqlite(q.sql)}`)
        .all(...(q.params(facts[LARGE] as Facts) as never[]));
      for (const line of plan as { detail: string }[]) out(`   ${line.detail}`);
    }
    out('\ndirect time of each query (prepared statement), median / p99 of 1000, ms:');
    for (const q of QUERIES) {
      const statement = db.prepare(sqlite(q.sql));
      const times: Record<string, number[]> = { [SMALL]: [], [LARGE]: [] };
      for (let n = 0; n < 1000; n++) {
        for (const domain of n % 2 === 0 ? [SMALL, LARGE] : [LARGE, SMALL]) {
          const started = performance.now();
          statement.all(...(q.params(facts[domain] as Facts) as never[]));
          times[domain]?.push(performance.now() - started);
        }
      }
      report(q.name, times, 4);
    }
  } finally {
    db.close();
  }
}

function report(name: string, times: Record<string, number[]>, digits: number): void {
  const [s, l] = [sorted(times[SMALL] ?? []), sorted(times[LARGE] ?? [])];
  const [s50, l50, s99, l99] = [percentile(s, 0.5), percentile(l, 0.5), percentile(s, 0.99), percentile(l, 0.99)];
  out(
    `  ${name}: small ${s50.toFixed(digits)} / ${s99.toFixed(digits)}, large ${l50.toFixed(digits)} / ${l99.toFixed(digits)}, ratio ${(l50 / s50).toFixed(2)} / ${(l99 / s99).toFixed(2)}`,
  );
}

await forEachDatabase(async (database) => {
  const { server, facts } = await setUp(database);
  try {
    await httpMiddlePage(server, facts);
    if (database.target.kind === 'postgres') await explainPostgres(database.target.url, facts);
    else explainSqlite(database.target.file, facts);
  } finally {
    await server.stop();
  }
});
