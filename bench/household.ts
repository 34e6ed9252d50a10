/**
 * The household's own operations (issue 11) by domain size, against one `domus serve` child: a
 * member listing the domain's members (first page, and a page from the middle) and removing
 * another member (preview, then commit), in an anonymous domain of 10 members and one of
 * `members` (filled with bulk SQL), one request at a time, the two domains taking turns request
 * by request so that machine noise hits both alike.
 *
 * Each domain's remover (the device that lists and removes) joins through the protocol before the
 * domain is filled. Each removal removes a member that is a real registration (the large domain's
 * come from populate.ts, the small one's are its other joined members), and after each removal,
 * untimed, one member is added back with SQL as populate.ts adds them, so that both domains keep
 * their size throughout. No removal limit is set on either domain.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseTarget } from '../src/platform/config.js';
import { domainRequest, type TestMachine } from '../test/support/machines.js';
import { josePost, mergePercentiles, type PreparedRequest, percentile } from './load.js';
import { individualizeMany, joinAll, joinOnce } from './machines.js';
import { populate } from './populate.js';
import type { DomusServer } from './server-process.js';

export interface HouseholdSettings {
  /** Size of the large domain. */
  members: number;
  rounds: number;
  /** Requests of each listing kind per domain per round. */
  listsPerRound: number;
  /** Removals (preview + commit) per domain per round. */
  removalsPerRound: number;
  log: (line: string) => void;
}

export const HOUSEHOLD_DEFAULTS = { rounds: 4, listsPerRound: 100, removalsPerRound: 50, warmUp: 20 } as const;
/** The page size of the listing requests. */
export const PAGE = 50;
const SMALL_DOMAIN = 'household-small';
const LARGE_DOMAIN = 'household-large';
const SEED_MEMBERS = 10;
const WARM_UP = HOUSEHOLD_DEFAULTS.warmUp;

export interface LatencyFigure {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface HouseholdDomainFigures {
  members: number;
  firstPage: LatencyFigure;
  middlePage: LatencyFigure;
  removal: LatencyFigure;
}

export interface HouseholdResult {
  small: HouseholdDomainFigures;
  large: HouseholdDomainFigures;
  populateMs: number;
  /** Rounds, requests per round and warm-up requests as measured. */
  plan: { rounds: number; listsPerRound: number; removalsPerRound: number; warmUp: number };
  /** Wall time of the timed rounds (both domains). */
  measureMs: number;
  /** The machine's 1-minute load average before and after the timed rounds (2 cores: 2 is busy). */
  loadAverage: number[];
}

type Kind = 'firstPage' | 'middlePage' | 'removal';

/** One keep-alive connection; answers the status and the body of each request, in turn. */
function connection(origin: string) {
  const url = new URL(origin);
  if (url.hostname !== '127.0.0.1') throw new Error(`requests go to 127.0.0.1 only, not ${url.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (request: PreparedRequest) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = http.request(
        {
          agent,
          host: '127.0.0.1',
          port: Number(url.port),
          method: request.method,
          path: request.path,
          headers: request.headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.once('error', reject);
        },
      );
      outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('request timed out')));
      outgoing.once('error', reject);
      outgoing.end(request.body);
    });
  return { send, close: () => agent.destroy() };
}

function protocolPath(domain: string, op: 'members' | 'remove'): string {
  return `/flashaccess/domainserver/${encodeURIComponent(domain)}/flashaccess/${op}/v4`;
}

/** Direct access to the server's database, for what the benchmark reads and adds besides the protocol. */
export interface Direct {
  /** The GUID at the middle of a domain's members in GUID order. */
  middleGuid(domain: string): Promise<string>;
  /** `count` distinct member GUIDs of a domain spread at random over it, none of them `except`. */
  sampleGuids(domain: string, count: number, except: ReadonlySet<string>): Promise<string[]>;
  /** Adds one member (a machine slot and its registration) as populate.ts does; answers its GUID. */
  addMember(domain: string): Promise<string>;
  close(): Promise<void>;
}

/** Six digest-sized components, as populate.ts writes them. */
const components = () => JSON.stringify(Array.from({ length: 6 }, () => randomBytes(32).toString('base64url')));

function directSqlite(file: string): Direct {
  const db = new SqliteDatabase(file);
  db.pragma('busy_timeout = 30000');
  db.pragma('foreign_keys = ON');
  const domainId = (name: string) =>
    (db.prepare(`select id from domains where mode = 'anonymous' and name = ?`).get(name) as { id: number }).id;
  const after = db.prepare(
    'select guid from domain_registrations where domain_id = ? and guid > ? order by guid limit 1',
  );
  const add = db.transaction((id: number, guid: string, now: number) => {
    const machine = db
      .prepare('insert into domain_machines (domain_id, components, first_seen) values (?, ?, ?)')
      .run(id, components(), now);
    db.prepare(
      'insert into domain_registrations (domain_id, guid, machine_row, first_seen, last_seen) values (?, ?, ?, ?, ?)',
    ).run(id, guid, machine.lastInsertRowid, now, now);
    db.prepare('update domains set member_count = member_count + 1 where id = ?').run(id);
  });
  return {
    async middleGuid(domain) {
      const id = domainId(domain);
      const { n } = db.prepare('select count(*) as n from domain_registrations where domain_id = ?').get(id) as {
        n: number;
      };
      const row = db
        .prepare('select guid from domain_registrations where domain_id = ? order by guid limit 1 offset ?')
        .get(id, Math.floor(n / 2)) as { guid: string };
      return row.guid;
    },
    async sampleGuids(domain, count, except) {
      const id = domainId(domain);
      const found = new Set<string>();
      for (let tries = 0; found.size < count && tries < count * 20; tries++) {
        const row = after.get(id, randomUUID()) as { guid: string } | undefined;
        if (row && !except.has(row.guid)) found.add(row.guid);
      }
      return [...found];
    },
    async addMember(domain) {
      const guid = randomUUID();
      add.immediate(domainId(domain), guid, Date.now());
      return guid;
    },
    async close() {
      db.close();
    },
  };
}

async function directPostgres(url: string): Promise<Direct> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const domainId = async (name: string) =>
    (await client.query<{ id: number }>(`select id from domains where mode = 'anonymous' and name = $1`, [name]))
      .rows[0]?.id as number;
  return {
    async middleGuid(domain) {
      const id = await domainId(domain);
      const n = Number(
        (await client.query('select count(*) as n from domain_registrations where domain_id = $1', [id])).rows[0].n,
      );
      const row = await client.query<{ guid: string }>(
        'select guid from domain_registrations where domain_id = $1 order by guid limit 1 offset $2',
        [id, Math.floor(n / 2)],
      );
      return row.rows[0]?.guid as string;
    },
    async sampleGuids(domain, count, except) {
      const id = await domainId(domain);
      const found = new Set<string>();
      for (let tries = 0; found.size < count && tries < count * 20; tries++) {
        const row = await client.query<{ guid: string }>(
          'select guid from domain_registrations where domain_id = $1 and guid > $2 order by guid limit 1',
          [id, randomUUID()],
        );
        const guid = row.rows[0]?.guid;
        if (guid && !except.has(guid)) found.add(guid);
      }
      return [...found];
    },
    async addMember(domain) {
      const id = await domainId(domain);
      const guid = randomUUID();
      const now = Date.now();
      await client.query('begin');
      try {
        const machine = await client.query<{ id: number }>(
          'insert into domain_machines (domain_id, components, first_seen) values ($1, $2, $3) returning id',
          [id, components(), now],
        );
        await client.query(
          'insert into domain_registrations (domain_id, guid, machine_row, first_seen, last_seen) values ($1, $2, $3, $4, $4)',
          [id, guid, machine.rows[0]?.id, now],
        );
        await client.query('update domains set member_count = member_count + 1 where id = $1', [id]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      }
      return guid;
    },
    close: () => client.end(),
  };
}

export function direct(target: DatabaseTarget): Promise<Direct> | Direct {
  return target.kind === 'sqlite' ? directSqlite(target.file) : directPostgres(target.url);
}

const latency = (samples: readonly number[]): LatencyFigure => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...mergePercentiles(sorted), p95Ms: percentile(sorted, 0.95) };
};

export async function measureHousehold(
  server: DomusServer,
  target: DatabaseTarget,
  s: HouseholdSettings,
): Promise<HouseholdResult> {
  const seeds = await individualizeMany(server.url, 2 * SEED_MEMBERS);
  const remover: Record<string, TestMachine> = {};
  for (const [i, domain] of [SMALL_DOMAIN, LARGE_DOMAIN].entries()) {
    const machines = seeds.slice(i * SEED_MEMBERS, (i + 1) * SEED_MEMBERS);
    const first = machines[0] as TestMachine;
    await joinOnce(server.url, first, domain);
    await joinAll(server.url, machines.slice(1), domain);
    remover[domain] = first;
  }

  s.log(`  populating ${LARGE_DOMAIN} to ${s.members.toLocaleString('en')} members with bulk SQL`);
  const filled = await populate(target, LARGE_DOMAIN, s.members - SEED_MEMBERS);
  if (filled.memberCount !== s.members) throw new Error(`populated to ${filled.memberCount}, not ${s.members}`);
  s.log(`  populated in ${(filled.elapsedMs / 1000).toFixed(1)} s`);
  const size: Record<string, number> = { [SMALL_DOMAIN]: SEED_MEMBERS, [LARGE_DOMAIN]: s.members };
  for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) {
    const details = await server.admin('GET', `/domains/anonymous/${domain}`);
    if (details.body?.members !== size[domain]) throw new Error(`server sees ${details.body?.members} members`);
  }

  const db = await direct(target);
  const conn = connection(server.url);
  try {
    const removals = WARM_UP + s.rounds * s.removalsPerRound;
    // Who may be removed: any member but the remover; the small domain's turn over as they are added back.
    const removable: Record<string, string[]> = {
      [SMALL_DOMAIN]: seeds.slice(1, SEED_MEMBERS).map((m) => m.guid),
      [LARGE_DOMAIN]: await db.sampleGuids(LARGE_DOMAIN, removals, new Set([remover[LARGE_DOMAIN]?.guid as string])),
    };
    if ((removable[LARGE_DOMAIN]?.length ?? 0) < removals) throw new Error('could not sample enough members to remove');
    const cursor: Record<string, string> = {};
    for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) {
      cursor[domain] = Buffer.from(await db.middleGuid(domain)).toString('base64url');
    }

    const call = async (domain: string, op: 'members' | 'remove', fields: Record<string, unknown>) => {
      const request = josePost(
        protocolPath(domain, op),
        domainRequest(remover[domain] as TestMachine, { op, ...fields }),
      );
      const started = performance.now();
      const answer = await conn.send(request);
      const elapsed = performance.now() - started;
      if (answer.status !== 200) throw new Error(`${op} in ${domain}: ${answer.status} ${answer.body}`);
      return { elapsed, body: JSON.parse(answer.body) };
    };

    const list = async (domain: string, middle: boolean) => {
      const { elapsed, body } = await call(domain, 'members', {
        limit: PAGE,
        ...(middle && { cursor: cursor[domain] }),
      });
      // The small domain's middle moves as members are removed and added back; the large one's page is full.
      const members = size[domain] as number;
      const expected = middle ? (members >= 2 * PAGE ? PAGE : 0) : Math.min(PAGE, members);
      if (!Array.isArray(body.members) || body.members.length < expected) {
        throw new Error(`members of ${domain}: ${JSON.stringify(body).slice(0, 200)}`);
      }
      return elapsed;
    };

    const remove = async (domain: string) => {
      const member = removable[domain]?.shift();
      if (!member) throw new Error(`no member left to remove in ${domain}`);
      const preview = await call(domain, 'remove', { phase: 'preview', member });
      if (preview.body.allowed !== true)
        throw new Error(`remove preview in ${domain}: ${JSON.stringify(preview.body)}`);
      const commit = await call(domain, 'remove', { phase: 'commit', member });
      if (commit.body.removed?.[0] !== member) throw new Error(`remove in ${domain}: ${JSON.stringify(commit.body)}`);
      // Untimed: one member back, so that the domain keeps its size.
      const added = await db.addMember(domain);
      if (domain === SMALL_DOMAIN) removable[domain]?.push(added);
      return preview.elapsed + commit.elapsed;
    };

    const samples: Record<string, Record<Kind, number[]>> = {};
    for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) samples[domain] = { firstPage: [], middlePage: [], removal: [] };

    const one = (domain: string, kind: Kind) =>
      kind === 'removal' ? remove(domain) : list(domain, kind === 'middlePage');
    const kinds = ['firstPage', 'middlePage', 'removal'] as const;

    for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) {
      for (const kind of kinds) for (let i = 0; i < WARM_UP; i++) await one(domain, kind);
    }
    s.log(
      `  ${s.rounds} rounds of ${s.listsPerRound} first pages, ${s.listsPerRound} middle pages and ${s.removalsPerRound} removals per domain, one request at a time, the domains taking turns`,
    );
    const loadBefore = os.loadavg()[0] as number;
    const started = performance.now();
    // Small and large take turns request by request (removal by removal), who goes first
    // alternating, so that a burst of noise on this shared machine hits both alike.
    for (let round = 0; round < s.rounds; round++) {
      for (const kind of kinds) {
        const n = kind === 'removal' ? s.removalsPerRound : s.listsPerRound;
        for (let i = 0; i < n; i++) {
          const order = (round + i) % 2 === 0 ? [SMALL_DOMAIN, LARGE_DOMAIN] : [LARGE_DOMAIN, SMALL_DOMAIN];
          for (const domain of order) samples[domain]?.[kind].push(await one(domain, kind));
        }
      }
    }
    const measureMs = performance.now() - started;
    const loadAverage = [loadBefore, os.loadavg()[0] as number];

    for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) {
      const details = await server.admin('GET', `/domains/anonymous/${domain}`);
      if (details.body?.members !== size[domain]) throw new Error(`${domain} ended with ${details.body?.members}`);
    }
    const figures = (domain: string): HouseholdDomainFigures => {
      const of = samples[domain] as Record<Kind, number[]>;
      return {
        members: size[domain] as number,
        firstPage: latency(of.firstPage),
        middlePage: latency(of.middlePage),
        removal: latency(of.removal),
      };
    };
    return {
      small: figures(SMALL_DOMAIN),
      large: figures(LARGE_DOMAIN),
      populateMs: filled.elapsedMs,
      plan: { rounds: s.rounds, listsPerRound: s.listsPerRound, removalsPerRound: s.removalsPerRound, warmUp: WARM_UP },
      measureMs,
      loadAverage,
    };
  } finally {
    conn.close();
    await db.close();
  }
}
