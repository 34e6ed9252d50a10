/**
 * Where the household operations' time goes by domain size, for when `npm run bench` finds a
 * ratio over its target (bench/household.ts): on a fresh database per kind, a 10-member and a
 * large anonymous domain as the benchmark makes them, then
 *   - the members operation over HTTP with `limit` 10 and 50 on both domains (a 10-member
 *     domain's page holds at most 10 members, so `limit` 10 compares equal pages);
 *   - the query plans (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS), custom and generic plans, the
 *     server naming its statements; SQLite: EXPLAIN QUERY PLAN) and the direct time of the
 *     queries of a listing and a removal (src/domains/members.ts, store.ts, former-members.ts,
 *     seen-messages.ts, events.ts), in the SQL that Kysely sends for them.
 *
 *   node --import tsx bench/household-explain.ts [--databases=sqlite,postgres] [--members=N]
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from '../test/support/databases.js';
import { domainRequest, type TestMachine } from '../test/support/machines.js';
import { forEachDatabase, LARGE, MEMBERS, out, SMALL, setUpDomains } from './explain-rig.js';
import { josePost, percentile, runLoad } from './load.js';
import type { DomusServer } from './server-process.js';

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

async function setUp(database: TestDatabase): Promise<{ server: DomusServer; remover: Record<string, TestMachine> }> {
  const { server, first } = await setUpDomains(database);
  return { server, remover: first };
}

/** Median latency of the members operation (first page) by domain and limit, in alternating rounds. */
async function httpListing(server: DomusServer, remover: Record<string, TestMachine>): Promise<void> {
  const samples = new Map<string, number[]>();
  const one = async (domain: string, limit: number, n: number, keep: boolean) => {
    const path = `/flashaccess/domainserver/${domain}/flashaccess/members/v4`;
    const requests = Array.from({ length: n }, () =>
      josePost(path, domainRequest(remover[domain] as TestMachine, { op: 'members', limit })),
    );
    const result = await runLoad({ origin: server.url, source: (i) => requests[i], concurrency: 1, maxMs: 60_000 });
    if (result.completed !== n) throw new Error(`members ${domain}: ${JSON.stringify(result.failures)}`);
    const key = `${domain} limit ${limit}`;
    if (keep) samples.set(key, [...(samples.get(key) ?? []), ...result.latencies]);
  };
  for (const domain of [SMALL, LARGE]) for (const limit of [10, 50]) await one(domain, limit, 20, false);
  for (let round = 0; round < 4; round++) {
    const order = round % 2 === 0 ? [SMALL, LARGE] : [LARGE, SMALL];
    for (const limit of [10, 50]) for (const domain of order) await one(domain, limit, 50, true);
  }
  out('\nmembers operation over HTTP, first page, one request at a time (200 each):');
  for (const [key, values] of samples) out(`  ${key}: median ${median(values).toFixed(2)} ms`);
}

interface Query {
  name: string;
  sql: string;
  /** Parameters for the small and the large domain. */
  params: (domain: 'small' | 'large') => unknown[];
  /** Data-changing: run inside a transaction that is rolled back. */
  dml?: boolean;
}

type Facts = Record<'small' | 'large', { id: number; remover: string; member: string; machineRow: number }>;

/** The queries of a listing and a removal, as Kysely sends them (PostgreSQL placeholders). */
function queries(f: Facts, now: number): Query[] {
  return [
    {
      name: 'recordMessage',
      sql: 'insert into "seen_messages" ("guid", "mid", "seen_at") values ($1, $2, $3) on conflict ("guid", "mid") do update set "seen_at" = $4 where "seen_messages"."seen_at" < $5 returning "guid"',
      params: (d) => [f[d].remover, `explain-${Math.random()}`, now, now, now - 600_000],
      dml: true,
    },
    {
      name: 'findDomain / lockDomain',
      sql: 'select * from "domains" where "mode" = $1 and "name" = $2',
      params: (d) => ['anonymous', d === 'small' ? SMALL : LARGE],
    },
    {
      name: 'findRegistration (requireMember, the removed member)',
      sql: 'select "r"."guid", "r"."machine_row", "m"."components", "r"."first_seen", "r"."last_seen", "r"."label" from "domain_registrations" as "r" inner join "domain_machines" as "m" on "m"."id" = "r"."machine_row" where "r"."domain_id" = $1 and "r"."guid" = $2',
      params: (d) => [f[d].id, f[d].member],
    },
    {
      name: 'formerMember',
      sql: 'select "reason" from "domain_former_members" where "domain_id" = $1 and "guid" = $2',
      params: (d) => [f[d].id, f[d].member],
    },
    {
      name: 'listRegistrations, first page (limit 50 + 1)',
      sql: 'select "guid", "machine_row", "label", "first_seen", "last_seen" from "domain_registrations" where "domain_id" = $1 order by "guid" limit $2',
      params: (d) => [f[d].id, 51],
    },
    {
      name: 'listRegistrations, first page (limit 10 + 1)',
      sql: 'select "guid", "machine_row", "label", "first_seen", "last_seen" from "domain_registrations" where "domain_id" = $1 order by "guid" limit $2',
      params: (d) => [f[d].id, 11],
    },
    {
      name: 'listRegistrations, after a cursor (limit 50 + 1)',
      sql: 'select "guid", "machine_row", "label", "first_seen", "last_seen" from "domain_registrations" where "domain_id" = $1 and "guid" > $2 order by "guid" limit $3',
      params: (d) => [f[d].id, '80000000-0000-4000-8000-000000000000', 51],
    },
    {
      name: 'registrationsOnMachine (releaseMachine)',
      sql: 'select "guid" from "domain_registrations" where "machine_row" = $1 order by "guid"',
      params: (d) => [f[d].machineRow],
    },
    {
      name: 'countRegistrationsOnMachine',
      sql: 'select count(*) as "n" from "domain_registrations" where "machine_row" = $1',
      params: (d) => [f[d].machineRow],
    },
    {
      name: 'releaseMachine: delete registrations',
      sql: 'delete from "domain_registrations" where "machine_row" = $1',
      params: (d) => [f[d].machineRow],
      dml: true,
    },
    {
      name: 'releaseMachine: delete the machine slot',
      sql: 'delete from "domain_machines" where "id" = $1',
      params: (d) => [f[d].machineRow],
      dml: true,
    },
    {
      name: 'releaseMachine: updateDomain',
      sql: 'update "domains" set "key_rollover_required" = $1, "member_count" = $2, "updated_at" = $3 where "id" = $4',
      params: (d) => [1, d === 'small' ? 9 : MEMBERS - 1, now, f[d].id],
      dml: true,
    },
    {
      name: 'markFormerMembers',
      sql: 'insert into "domain_former_members" ("domain_id", "guid", "at", "reason") values ($1, $2, $3, $4) on conflict ("domain_id", "guid") do update set "at" = $5, "reason" = $6',
      params: (d) => [f[d].id, f[d].member, now, 'removed', now, 'removed'],
      dml: true,
    },
    {
      name: 'recordEvent',
      sql: 'insert into "domain_events" ("domain_id", "at", "kind", "actor_kind", "actor_guid", "subject_guid", "key_version", "detail") values ($1, $2, $3, $4, $5, $6, $7, $8)',
      params: (d) => [f[d].id, now, 'removed', 'device', f[d].remover, f[d].member, null, '{"machineReleased":true}'],
      dml: true,
    },
  ];
}

async function explainPostgres(url: string, remover: Record<string, TestMachine>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const facts = {} as Facts;
    for (const [d, name] of [
      ['small', SMALL],
      ['large', LARGE],
    ] as const) {
      const id = (await client.query(`select id from domains where mode = 'anonymous' and name = $1`, [name])).rows[0]
        .id as number;
      const me = remover[name]?.guid as string;
      const row = (
        await client.query(
          'select guid, machine_row from domain_registrations where domain_id = $1 and guid <> $2 and guid > $3 order by guid limit 1',
          [id, me, '8'],
        )
      ).rows[0];
      facts[d] = { id, remover: me, member: row.guid, machineRow: row.machine_row };
    }
    const all = queries(facts, Date.now());
    for (const q of all) {
      out(`\n### ${q.name}\n${q.sql}`);
      for (const d of ['small', 'large'] as const) {
        await client.query('begin');
        const plan = await client.query(`explain (analyze, buffers, costs off) ${q.sql}`, q.params(d));
        await client.query('rollback');
        out(`-- ${d} domain, custom plan:`);
        for (const line of plan.rows) out(`   ${line['QUERY PLAN']}`);
      }
      // What a named statement may settle on after five executions.
      await client.query('begin');
      await client.query('set local plan_cache_mode = force_generic_plan');
      await client.query(`prepare generic_q as ${q.sql}`);
      const args = q.params('large');
      const literals = args.map((v) => (v === null ? 'null' : client.escapeLiteral(String(v))));
      const plan = await client.query(
        `explain (analyze, buffers, costs off) execute generic_q(${literals.join(', ')})`,
      );
      await client.query('rollback');
      await client.query('deallocate generic_q').catch(() => {});
      out('-- large domain, generic plan:');
      for (const line of plan.rows) out(`   ${line['QUERY PLAN']}`);
    }

    out('\ndirect time of each query as the server runs it (named statement), median of 200, ms:');
    for (const q of all) {
      const times: Record<string, number[]> = { small: [], large: [] };
      for (let i = 0; i < 200; i++) {
        for (const d of ['small', 'large'] as const) {
          const args = q.params(d);
          if (q.dml) await client.query('begin');
          const started = performance.now();
          await client.query({ name: `t_${all.indexOf(q)}`, text: q.sql, values: args });
          times[d]?.push(performance.now() - started);
          if (q.dml) await client.query('rollback');
        }
      }
      const s = median(times.small ?? []);
      const l = median(times.large ?? []);
      out(`  ${q.name}: small ${s.toFixed(3)}, large ${l.toFixed(3)}, ratio ${(l / s).toFixed(2)}`);
    }
  } finally {
    await client.end();
  }
}

function explainSqlite(file: string, remover: Record<string, TestMachine>): void {
  const db = new SqliteDatabase(file);
  db.pragma('busy_timeout = 30000');
  db.pragma('foreign_keys = ON');
  try {
    const facts = {} as Facts;
    for (const [d, name] of [
      ['small', SMALL],
      ['large', LARGE],
    ] as const) {
      const { id } = db.prepare(`select id from domains where mode = 'anonymous' and name = ?`).get(name) as {
        id: number;
      };
      const me = remover[name]?.guid as string;
      const row = db
        .prepare(
          'select guid, machine_row from domain_registrations where domain_id = ? and guid <> ? and guid > ? order by guid limit 1',
        )
        .get(id, me, '8') as { guid: string; machine_row: number };
      facts[d] = { id, remover: me, member: row.guid, machineRow: row.machine_row };
    }
    const all = queries(facts, Date.now());
    const sqlite = (text: string) => text.replace(/\$\d+/g, '?');
    for (const q of all) {
      out(`\n### ${q.name}\n${sqlite(q.sql)}`);
      for (const line of db.prepare(`explain query plan ${sqlite(q.sql)}`).all(...(q.params('large') as never[])) as {
        detail: string;
      }[])
        out(`   ${line.detail}`);
    }
    out('\ndirect time of each query (prepared statement), median of 500, ms:');
    for (const q of all) {
      const statement = db.prepare(sqlite(q.sql));
      const times: Record<string, number[]> = { small: [], large: [] };
      for (let i = 0; i < 500; i++) {
        for (const d of ['small', 'large'] as const) {
          const args = q.params(d) as never[];
          if (q.dml) db.exec('begin');
          const started = performance.now();
          if (statement.reader) statement.all(...args);
          else statement.run(...args);
          times[d]?.push(performance.now() - started);
          if (q.dml) db.exec('rollback');
        }
      }
      const s = median(times.small ?? []);
      const l = median(times.large ?? []);
      out(`  ${q.name}: small ${s.toFixed(4)}, large ${l.toFixed(4)}, ratio ${(l / s).toFixed(2)}`);
    }
  } finally {
    db.close();
  }
}

await forEachDatabase(async (database) => {
  const { server, remover } = await setUp(database);
  try {
    await httpListing(server, remover);
    if (database.target.kind === 'postgres') await explainPostgres(database.target.url, remover);
    else explainSqlite(database.target.file, remover);
  } finally {
    await server.stop();
  }
});
