/**
 * Makes an existing anonymous domain huge with bulk SQL, straight into the tables a join writes
 * (src/platform/storage/migrations): one domain_machines row and one domain_registrations row
 * per member (random GUID, six digest-sized components), and domains.member_count in step.
 * The server must have created the domain (by a first join) before; it keeps running meanwhile.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseTarget } from '../src/platform/config.js';

export interface PopulateResult {
  added: number;
  memberCount: number;
  elapsedMs: number;
}

export function populate(target: DatabaseTarget, domain: string, count: number): Promise<PopulateResult> {
  return target.kind === 'sqlite'
    ? populateSqlite(target.file, domain, count)
    : populatePostgres(target.url, domain, count);
}

/** Six JSON-quoted 43-character strings (the length of a base64url SHA-256) cut from a 64-hex `source`. */
function componentsSql(source: string, concat: (parts: string[]) => string): string {
  const parts: string[] = [`'["'`];
  for (let k = 0; k < 6; k++) {
    if (k > 0) parts.push(`'","'`);
    parts.push(`substr(${source}, ${k * 3 + 1}, 43)`);
  }
  parts.push(`'"]'`);
  return concat(parts);
}

async function populateSqlite(file: string, domain: string, count: number): Promise<PopulateResult> {
  const started = performance.now();
  const db = new SqliteDatabase(file);
  try {
    db.pragma('busy_timeout = 30000');
    db.pragma('cache_size = -262144');
    db.pragma('foreign_keys = ON');
    const now = Date.now();
    const hex64 = 'lower(hex(randomblob(32)))';
    const uuid = [
      'lower(hex(randomblob(4)))',
      `'-'`,
      'lower(hex(randomblob(2)))',
      `'-4'`,
      'substr(lower(hex(randomblob(2))), 2)',
      `'-'`,
      `substr('89ab', 1 + abs(random()) % 4, 1)`,
      'substr(lower(hex(randomblob(2))), 2)',
      `'-'`,
      'lower(hex(randomblob(6)))',
    ].join(' || ');
    const memberCount = db
      .transaction(() => {
        const row = db.prepare(`select id from domains where mode = 'anonymous' and name = ?`).get(domain) as
          | { id: number }
          | undefined;
        if (!row) throw new Error(`domain ${domain} does not exist yet`);
        const base = (db.prepare('select coalesce(max(id), 0) as n from domain_machines').get() as { n: number }).n;
        db.prepare(
          `with recursive s(i) as (select 1 union all select i + 1 from s where i < ?)
         insert into domain_machines (id, domain_id, components, first_seen)
         select ? + i, ?, ${componentsSql(hex64, (p) => p.join(' || '))}, ? from s`,
        ).run(count, base, row.id, now);
        db.prepare(
          `insert into domain_registrations (domain_id, guid, machine_row, first_seen, last_seen)
         select domain_id, ${uuid}, id, first_seen, first_seen from domain_machines where domain_id = ? and id > ?`,
        ).run(row.id, base);
        db.prepare('update domains set member_count = member_count + ? where id = ?').run(count, row.id);
        return (db.prepare('select member_count from domains where id = ?').get(row.id) as { member_count: number })
          .member_count;
      })
      .immediate();
    // Leave the database as a long-running server would have it, not with a huge WAL to replay.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { added: count, memberCount, elapsedMs: performance.now() - started };
  } finally {
    db.close();
  }
}

async function populatePostgres(url: string, domain: string, count: number): Promise<PopulateResult> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = Date.now();
    await client.query('begin');
    const found = await client.query<{ id: number }>(
      `select id from domains where mode = 'anonymous' and name = $1 for update`,
      [domain],
    );
    const id = found.rows[0]?.id;
    if (id === undefined) throw new Error(`domain ${domain} does not exist yet`);
    await client.query('lock table domain_machines in exclusive mode');
    const base = Number((await client.query('select coalesce(max(id), 0) as n from domain_machines')).rows[0].n);
    const hex64 = `(md5(i::text) || md5((-i)::text))`;
    await client.query(
      `insert into domain_machines (id, domain_id, components, first_seen)
       select $1::int + i, $2, ${componentsSql(hex64, (p) => `concat(${p.join(', ')})`)}, $3
       from generate_series(1, $4::int) as i`,
      [base, id, now, count],
    );
    await client.query(
      `insert into domain_registrations (domain_id, guid, machine_row, first_seen, last_seen)
       select domain_id, gen_random_uuid()::text, id, first_seen, first_seen
       from domain_machines where domain_id = $1 and id > $2`,
      [id, base],
    );
    const updated = await client.query<{ member_count: number }>(
      'update domains set member_count = member_count + $1 where id = $2 returning member_count',
      [count, id],
    );
    // The serial column must hand out ids above the ones written here.
    await client.query(
      `select setval(pg_get_serial_sequence('domain_machines', 'id'), (select max(id) from domain_machines))`,
    );
    await client.query('commit');
    // What autovacuum would have done by the time a real domain has grown this big.
    await client.query('analyze domain_machines, domain_registrations, domains');
    return { added: count, memberCount: Number(updated.rows[0]?.member_count), elapsedMs: performance.now() - started };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
