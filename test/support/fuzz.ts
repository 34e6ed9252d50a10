/**
 * The fuzz engine (issue 9): malformed requests to every endpoint — domain protocol,
 * individualization, REST API V2 and its user-agent steps, DCR, admin API, the demo identity
 * provider, the MVPDs' callbacks — and malformed HTTP envelopes, from a seed. Each case is a
 * valid request template (support/fuzz-templates*.ts) broken by mutations (support/fuzz-mutations.ts),
 * at least one of which its endpoint must refuse. A case fails when:
 *
 * - the answer is 5xx, or takes longer than 10 s;
 * - the answer is below 400 (the request was accepted);
 * - an error answer does not have its wire format's shape (support/error-shapes.ts);
 * - any table changed (a snapshot of every table, compared every `checkEvery` cases).
 *
 * `runFuzz` is what test/fuzz.test.ts runs, sized for CI, and what a long run calls with many
 * cases. Case `i` of seed `s` is drawn from its own generator, so a failure names its seed and
 * case, and `DOMUS_FUZZ_SEED=s` replays the run.
 */
import http from 'node:http';
import net from 'node:net';
import type { TestDatabase } from './databases.js';
import { shapeProblem, wireFormatOf } from './error-shapes.js';
import { pick, serialize } from './fuzz-cases.js';
import { type Fixtures, makeFixtures } from './fuzz-fixtures.js';
import { mutate } from './fuzz-mutations.js';
import { templates } from './fuzz-templates.js';
import { seededRandom } from './seeded-random.js';
import { startTestServer, type TestServer } from './server.js';
import { snapshotAll } from './snapshot.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** A database to start a server of its own on (with the demo data), or a running one. */
  database?: TestDatabase;
  server?: TestServer;
  /** Compare the stored state every this many cases (1: after every case). */
  checkEvery?: number;
  /** Share of cases that are raw, malformed HTTP envelopes. */
  rawShare?: number;
}

export interface FuzzFailure {
  case: number;
  template: string;
  mutations: string[];
  request: string;
  problem: string;
}

export interface FuzzResult {
  seed: number;
  cases: number;
  /** Answers by HTTP status ("timeout" for none). */
  statuses: Record<string, number>;
  /** Cases by template. */
  templates: Record<string, number>;
  failures: FuzzFailure[];
  seconds: number;
}

const TIMEOUT_MS = 10_000;
const MAX_FAILURES = 50;

const caseSeed = (seed: number, index: number) => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + index * 0xc2b2ae35) >>> 0;

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const own = options.server ? undefined : await startTestServer(required(options.database), { DOMUS_DEMO: 'true' });
  const server = options.server ?? (own as TestServer);
  const result: FuzzResult = { seed: options.seed, cases: 0, statuses: {}, templates: {}, failures: [], seconds: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const fixtures = await makeFixtures(server);
    const all = templates(fixtures);
    const checkEvery = Math.max(1, options.checkEvery ?? 1);
    const rawShare = options.rawShare ?? 0.03;
    const target = new URL(server.url);
    let baseline = await snapshotAll(server.domus.storage);
    let sinceCheck: FuzzFailure[] = [];
    for (let i = 0; i < options.cases && result.failures.length < MAX_FAILURES; i++) {
      const rng = seededRandom(caseSeed(options.seed, i));
      const failure = (c: Omit<FuzzFailure, 'case'>) => result.failures.push({ case: i, ...c });
      let summary: Omit<FuzzFailure, 'case' | 'problem'>;
      if (rng() < rawShare) {
        const raw = pick(rng, RAW_REQUESTS);
        summary = { template: 'raw-http', mutations: [raw.name], request: JSON.stringify(raw.text.slice(0, 200)) };
        const answer = await sendRaw(target, raw.text);
        count(result, 'raw-http', answer.status);
        if (answer.status === 'timeout' || answer.status >= 500)
          failure({ ...summary, problem: `answered ${answer.status}` });
        else if (answer.status >= 400 && answer.fromParser) {
          const problem = shapeProblem('generic', { ...answer, status: answer.status });
          if (problem) failure({ ...summary, problem });
        }
      } else {
        const template = pick(rng, all);
        const { draft, mutations } = mutate(template, rng);
        const { path, body, contentType } = serialize(draft);
        const headers = { ...draft.headers, ...(contentType !== undefined && { 'content-type': contentType }) };
        summary = { template: template.name, mutations, request: `${draft.method} ${path.slice(0, 300)}` };
        const answer = await send(agent, target, draft.method, path, headers, body);
        count(result, template.name, answer.status);
        const problem =
          answer.status === 'timeout' || answer.status >= 500
            ? `answered ${answer.status}: ${answer.text.slice(0, 300)}`
            : answer.status < 400
              ? `accepted: ${answer.status} ${answer.text.slice(0, 200)}`
              : draft.method === 'HEAD'
                ? undefined
                : shapeProblem(
                    // Node's HTTP parser refuses a header block over 16 KiB before any route is
                    // known: that answer has the generic shape (docs/reliability.md).
                    answer.status === 431 ? 'generic' : wireFormatOf(path.split('?')[0] ?? ''),
                    { ...answer, status: answer.status },
                  );
        if (problem) failure({ ...summary, problem });
      }
      sinceCheck.push({ case: i, ...summary, problem: '' });
      if (sinceCheck.length >= checkEvery || i === options.cases - 1) {
        const now = await snapshotAll(server.domus.storage);
        const changed = changedTables(baseline, now);
        if (changed.length > 0) {
          const last = sinceCheck.at(-1);
          result.failures.push({
            ...(last ?? { case: i, template: '', mutations: [], request: '' }),
            problem: `stored state changed (${changed.join(', ')}) by one of cases ${sinceCheck.map((c) => c.case).join(', ')}`,
          });
          baseline = now;
        }
        sinceCheck = [];
      }
      result.cases++;
    }
  } finally {
    agent.destroy();
    await own?.close();
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

function required(database: TestDatabase | undefined): TestDatabase {
  if (!database) throw new Error('runFuzz needs a database or a server');
  return database;
}

function count(result: FuzzResult, template: string, status: number | 'timeout') {
  result.statuses[String(status)] = (result.statuses[String(status)] ?? 0) + 1;
  result.templates[template] = (result.templates[template] ?? 0) + 1;
}

function changedTables(before: Record<string, unknown[]>, after: Record<string, unknown[]>): string[] {
  return Object.keys(after).filter((table) => JSON.stringify(before[table]) !== JSON.stringify(after[table]));
}

interface Answer {
  status: number | 'timeout';
  contentType: string;
  text: string;
}

function send(
  agent: http.Agent,
  target: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Answer & { status: number | 'timeout' }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: { ...headers, ...(payload && { 'content-length': String(payload.length) }) },
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('timeout', () => {
      request.destroy();
      resolve({ status: 'timeout', contentType: '', text: '' });
    });
    request.on('error', (error) => resolve({ status: 'timeout', contentType: '', text: String(error) }));
    request.end(payload);
  });
}

/** Malformed HTTP envelopes Node's parser refuses before any route (or odd ones it takes). */
const RAW_REQUESTS: { name: string; text: string }[] = [
  {
    name: 'control-in-header',
    text: 'GET /api/v2/DemoChannel/configuration HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n',
  },
  {
    name: 'nul-in-header',
    text: 'GET /flashaccess/getServerVersion/v3 HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n',
  },
  {
    name: 'two-lengths',
    text: 'POST /o/client/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  },
  { name: 'bad-method', text: 'FROB /admin/v1/domains HTTP/1.1\r\nHost: x\r\n\r\n' },
  { name: 'space-in-path', text: 'GET /api/v2/a b/configuration HTTP/1.1\r\nHost: x\r\n\r\n' },
  {
    name: 'bad-chunk',
    text: 'POST /o/client/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  },
  { name: 'bad-version', text: 'GET / HTTP/9.9\r\nHost: x\r\n\r\n' },
  { name: 'header-without-colon', text: 'GET /openapi.json HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n' },
  {
    name: 'raw-utf8-path',
    text: 'GET /api/v2/\u00c3\u00a9/configuration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  },
  {
    name: 'absolute-form',
    text: 'GET http://x/flashaccess/domainserver/%00/flashaccess/getServerVersion/v3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  },
  { name: 'huge-header', text: `GET /openapi.json HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n` },
];

function sendRaw(target: URL, text: string): Promise<Answer & { fromParser: boolean }> {
  return new Promise((resolve) => {
    // Written, not ended: the server answers and closes (every request either fails to parse or
    // asks for Connection: close).
    const socket = net.connect(Number(target.port), target.hostname, () => socket.write(Buffer.from(text, 'latin1')));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ status: 'timeout', contentType: '', text: '', fromParser: false });
    }, TIMEOUT_MS);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = response.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '';
      // The parser's answers close the connection and carry no request id.
      const fromParser = !/\r\nx-request-id:/i.test(head);
      resolve({ status: status === 0 ? 'timeout' : status, contentType, text: rest.join('\r\n\r\n'), fromParser });
    });
  });
}

export type { Fixtures };
