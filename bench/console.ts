/**
 * What the operator console's pages ask of the admin API, by domain size (the console's issue: "a
 * domain with a million members stays fast"), against one `domus serve` child. The benchmark
 * signs in through the console's own sign-in form with the admin token and calls /admin/v1 with
 * the session cookie, as the browser does, so the session check is part of every request.
 *
 * - **page load**: a domain's page (console/src/pages/domain.tsx): the domain, its first page of
 *   members and its last 20 events, the three in parallel, timed until the last answer.
 * - **middle page**: the members list paged from the middle (the cursor of the member in the
 *   middle of the domain in GUID order).
 * - **member search**: the domains page's search by member GUID (`GET /domains?member=`).
 * - **dashboard**: `GET /stats` with the million-member domain present, against a plain
 *   `GET /domains/anonymous/{small}` as the floor.
 *
 * An anonymous domain of 10 members and one of `members` (filled with bulk SQL by populate.ts),
 * both joined through the protocol first; one request (or page load) at a time, the two sides
 * taking turns request by request, so that machine noise hits both alike, as household.ts does.
 */
import http from 'node:http';
import os from 'node:os';
import type { DatabaseTarget } from '../src/platform/config.js';
import { direct, type LatencyFigure } from './household.js';
import { mergePercentiles, percentile } from './load.js';
import { individualizeMany, joinAll, joinOnce } from './machines.js';
import { populate } from './populate.js';
import type { DomusServer } from './server-process.js';

export interface ConsoleSettings {
  /** Size of the large domain. */
  members: number;
  rounds: number;
  /** Requests (or page loads) of each kind per side per round. */
  perRound: number;
  log: (line: string) => void;
}

export const CONSOLE_DEFAULTS = { rounds: 4, perRound: 100, warmUp: 20 } as const;
/** The admin API's default page of members, which the console's domain page asks for. */
export const CONSOLE_MEMBERS_PAGE = 50;
const EVENTS_PAGE = 20;
const SMALL_DOMAIN = 'console-small';
const LARGE_DOMAIN = 'console-large';
const SEED_MEMBERS = 10;
const WARM_UP = CONSOLE_DEFAULTS.warmUp;
/** A browser's connections per host over HTTP/1.1: a page's parallel calls do not queue. */
const BROWSER_SOCKETS = 6;

export const CONSOLE_KINDS = ['pageLoad', 'middlePage', 'memberSearch', 'dashboard'] as const;
export type ConsoleKind = (typeof CONSOLE_KINDS)[number];

/** One comparison: the reference (the 10-member domain, or the floor) and what is held to it. */
export interface ConsolePair {
  reference: LatencyFigure;
  measured: LatencyFigure;
}

export interface ConsoleResult {
  small: number;
  large: number;
  pairs: Record<ConsoleKind, ConsolePair>;
  populateMs: number;
  plan: { rounds: number; perRound: number; warmUp: number };
  /** Wall time of the timed rounds. */
  measureMs: number;
  /** The machine's 1-minute load average before and after the timed rounds (2 cores: 2 is busy). */
  loadAverage: number[];
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Keep-alive connections to the server, as many as a browser opens to one host. */
function browser(origin: string) {
  const url = new URL(origin);
  if (url.hostname !== '127.0.0.1') throw new Error(`requests go to 127.0.0.1 only, not ${url.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: BROWSER_SOCKETS });
  const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const outgoing = http.request(
        { agent, host: '127.0.0.1', port: Number(url.port), method, path, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.once('error', reject);
        },
      );
      outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('request timed out')));
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  return { send, close: () => agent.destroy() };
}

/** Signs in through the console's form with the admin token; answers the session's Cookie header. */
async function signIn(send: ReturnType<typeof browser>['send'], adminToken: string): Promise<string> {
  const answer = await send(
    'POST',
    '/console/sign-in',
    { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    new URLSearchParams({ credential: adminToken }).toString(),
  );
  const setCookie = answer.headers['set-cookie']?.find((c) => c.startsWith('domus_console='));
  if (answer.status !== 303 || !setCookie) throw new Error(`console sign-in: ${answer.status} ${answer.body}`);
  const cookie = setCookie.split(';')[0] as string;
  const session = await send('GET', '/console/session', { cookie, 'sec-fetch-site': 'same-origin' });
  if (session.status !== 200) throw new Error(`console session: ${session.status} ${session.body}`);
  return cookie;
}

const latency = (samples: readonly number[]): LatencyFigure => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...mergePercentiles(sorted), p95Ms: percentile(sorted, 0.95) };
};

export async function measureConsole(
  server: DomusServer,
  target: DatabaseTarget,
  s: ConsoleSettings,
): Promise<ConsoleResult> {
  const seeds = await individualizeMany(server.url, 2 * SEED_MEMBERS);
  const seedGuids: Record<string, string[]> = {};
  for (const [i, domain] of [SMALL_DOMAIN, LARGE_DOMAIN].entries()) {
    const machines = seeds.slice(i * SEED_MEMBERS, (i + 1) * SEED_MEMBERS);
    await joinOnce(server.url, machines[0] as (typeof machines)[number], domain);
    await joinAll(server.url, machines.slice(1), domain);
    seedGuids[domain] = machines.map((m) => m.guid);
  }
  s.log(`  populating ${LARGE_DOMAIN} to ${s.members.toLocaleString('en')} members with bulk SQL`);
  const filled = await populate(target, LARGE_DOMAIN, s.members - SEED_MEMBERS);
  if (filled.memberCount !== s.members) throw new Error(`populated to ${filled.memberCount}, not ${s.members}`);
  s.log(`  populated in ${(filled.elapsedMs / 1000).toFixed(1)} s`);
  const size: Record<string, number> = { [SMALL_DOMAIN]: SEED_MEMBERS, [LARGE_DOMAIN]: s.members };

  const searches = WARM_UP + s.rounds * s.perRound;
  const db = await direct(target);
  const cursor: Record<string, string> = {};
  const searched: Record<string, string[]> = { [SMALL_DOMAIN]: seedGuids[SMALL_DOMAIN] as string[] };
  try {
    for (const domain of [SMALL_DOMAIN, LARGE_DOMAIN]) {
      cursor[domain] = Buffer.from(await db.middleGuid(domain)).toString('base64url');
    }
    // Members of the large domain spread at random over it, a different one each search.
    searched[LARGE_DOMAIN] = await db.sampleGuids(LARGE_DOMAIN, searches, new Set());
    if ((searched[LARGE_DOMAIN]?.length ?? 0) < searches) throw new Error('could not sample enough members');
  } finally {
    await db.close();
  }

  const { send, close } = browser(server.url);
  try {
    const cookie = await signIn(send, server.adminToken);
    // What the console's fetch sends: the cookie, and the browser's Sec-Fetch-Site.
    const headers = { cookie, 'sec-fetch-site': 'same-origin', accept: '*/*' };
    const get = async (path: string) => {
      const answer = await send('GET', `/admin/v1${path}`, headers);
      if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.body.slice(0, 200)}`);
      return JSON.parse(answer.body);
    };
    const timed = async (work: () => Promise<void>) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    const base = (domain: string) => `/domains/anonymous/${encodeURIComponent(domain)}`;

    const pageLoad = (domain: string) =>
      timed(async () => {
        const [details, members, events] = await Promise.all([
          get(base(domain)),
          get(`${base(domain)}/members`),
          get(`${base(domain)}/events?limit=${EVENTS_PAGE}`),
        ]);
        const expected = Math.min(CONSOLE_MEMBERS_PAGE, size[domain] as number);
        if (details.members !== size[domain]) throw new Error(`${domain}: ${details.members} members`);
        if (members.items?.length !== expected) throw new Error(`${domain}: a page of ${members.items?.length}`);
        if (!Array.isArray(events.items) || events.items.length === 0) throw new Error(`${domain}: no events`);
      });
    const middlePage = (domain: string) =>
      timed(async () => {
        const page = await get(`${base(domain)}/members?cursor=${cursor[domain]}`);
        // The small domain's middle leaves a few members; the large one's page is full.
        const expected = domain === LARGE_DOMAIN ? CONSOLE_MEMBERS_PAGE : 1;
        if (!Array.isArray(page.items) || page.items.length < expected) {
          throw new Error(`middle page of ${domain}: ${JSON.stringify(page).slice(0, 200)}`);
        }
      });
    const next: Record<string, number> = { [SMALL_DOMAIN]: 0, [LARGE_DOMAIN]: 0 };
    const memberSearch = (domain: string) => {
      const guids = searched[domain] as string[];
      const at = ((next[domain] ?? 0) + 1) % guids.length;
      next[domain] = at;
      const guid = guids[at] as string;
      return timed(async () => {
        const found = await get(`/domains?member=${encodeURIComponent(guid)}`);
        if (found.items?.length !== 1 || found.items[0].name !== domain) {
          throw new Error(`search for ${guid}: ${JSON.stringify(found).slice(0, 200)}`);
        }
      });
    };
    const dashboard = (side: 'reference' | 'measured') =>
      timed(async () => {
        if (side === 'reference') {
          const details = await get(base(SMALL_DOMAIN));
          if (details.members !== SEED_MEMBERS) throw new Error(`floor: ${details.members} members`);
          return;
        }
        const stats = await get('/stats');
        if (stats.members < s.members) throw new Error(`stats: ${stats.members} members`);
      });

    const one = (kind: ConsoleKind, side: 'reference' | 'measured') => {
      const domain = side === 'reference' ? SMALL_DOMAIN : LARGE_DOMAIN;
      if (kind === 'pageLoad') return pageLoad(domain);
      if (kind === 'middlePage') return middlePage(domain);
      if (kind === 'memberSearch') return memberSearch(domain);
      return dashboard(side);
    };

    type Samples = Record<'reference' | 'measured', number[]>;
    const samples = Object.fromEntries(
      CONSOLE_KINDS.map((kind): [ConsoleKind, Samples] => [kind, { reference: [], measured: [] }]),
    ) as Record<ConsoleKind, Samples>;
    for (const kind of CONSOLE_KINDS) {
      for (const side of ['reference', 'measured'] as const) for (let i = 0; i < WARM_UP; i++) await one(kind, side);
    }
    s.log(
      `  ${s.rounds} rounds of ${s.perRound} page loads, middle pages, member searches and dashboards per side, one at a time, the sides taking turns`,
    );
    const loadBefore = os.loadavg()[0] as number;
    const started = performance.now();
    for (let round = 0; round < s.rounds; round++) {
      for (const kind of CONSOLE_KINDS) {
        for (let i = 0; i < s.perRound; i++) {
          const order =
            (round + i) % 2 === 0 ? (['reference', 'measured'] as const) : (['measured', 'reference'] as const);
          for (const side of order) samples[kind][side].push(await one(kind, side));
        }
      }
    }
    const measureMs = performance.now() - started;
    const loadAverage = [loadBefore, os.loadavg()[0] as number];

    const pairs = Object.fromEntries(
      CONSOLE_KINDS.map((kind) => [
        kind,
        { reference: latency(samples[kind].reference), measured: latency(samples[kind].measured) },
      ]),
    ) as Record<ConsoleKind, ConsolePair>;
    return {
      small: SEED_MEMBERS,
      large: s.members,
      pairs,
      populateMs: filled.elapsedMs,
      plan: { rounds: s.rounds, perRound: s.perRound, warmUp: WARM_UP },
      measureMs,
      loadAverage,
    };
  } finally {
    close();
  }
}
