/**
 * A load of domain joins, client registrations (DCR) and authorizations against a `domus serve`
 * process, for tests that stop the process under it. Each request's fate is recorded: a complete
 * answer, no answer at all (the connection refused, or closed before an answer began), or an
 * answer cut short. `audit` then compares what the answers acknowledged with the database: each
 * acknowledged join and registration is stored, and nothing is stored that no answer
 * acknowledged (a request the server carried out but never answered).
 */
import { openStorage } from '../../src/platform/storage/database.js';
import type { TestDatabase } from './databases.js';
import { domainRequest, individualizationRequest, protocolUrl, type TestMachine } from './machines.js';
import { deviceInfoHeader } from './pass-client.js';

const AUTHORIZE = '/api/v2/DemoChannel/decisions/authorize/DemoCable';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
type Json = any;

type Sent =
  | { kind: 'answer'; status: number; body: Json }
  | { kind: 'none'; reason: string }
  | { kind: 'cut'; reason: string };

/** What an authorizing app holds: an access token, and the device headers of its signed-in profile. */
export interface SignedInApp {
  token: string;
  headers: Record<string, string>;
  statement: string;
}

export interface LoadRecord {
  /** guid → anonymous domain of every acknowledged join. */
  joins: Map<string, string>;
  /** client_id of every acknowledged registration. */
  registrations: Set<string>;
  /** Authorize permits received whole, with their media token. */
  permits: number;
  /** Answers, by operation and status (`join 200`, `register 201`, …). */
  answers: Record<string, number>;
  /** Requests that got no answer, by operation and error code. */
  unanswered: Record<string, number>;
  /** Answers that began but were cut short, or permits without their token. */
  cut: string[];
  /** Complete answers received after `mark` (e.g. the moment a signal was sent). */
  answeredAfterMark: number;
  mark: number;
}

export const LOAD_DOMAINS = ['drain-0', 'drain-1', 'drain-2'];

/** Runs `workers` loops of join, register and authorize against `url` until `stop()`. */
export function mixedLoad(url: string, app: SignedInApp, workers = 6) {
  const record: LoadRecord = {
    joins: new Map(),
    registrations: new Set(),
    permits: 0,
    answers: {},
    unanswered: {},
    cut: [],
    answeredAfterMark: 0,
    mark: Number.POSITIVE_INFINITY,
  };
  let running = true;
  const tally = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1;
  };
  /** Records the fate of a request; answers its answer, if it got one. */
  const sent = (operation: string, result: Sent) => {
    if (result.kind === 'none') tally(record.unanswered, `${operation} ${result.reason}`);
    else if (result.kind === 'cut') record.cut.push(`${operation} ${result.reason}`);
    else {
      tally(record.answers, `${operation} ${result.status}`);
      if (Date.now() > record.mark) record.answeredAfterMark++;
      return result;
    }
    return undefined;
  };

  const join = async (domain: string) => {
    const request = individualizationRequest();
    const indiv = sent(
      'individualize',
      await send(`${url}/flashaccess/indiv/v1`, { method: 'POST', headers: JOSE, body: request.body }),
    );
    if (indiv?.status !== 200) return;
    const machine: TestMachine = { ...indiv.body, components: request.components, privateKey: request.privateKey };
    const joined = sent(
      'join',
      await send(protocolUrl(url, 'join', { anonymous: domain }), {
        method: 'POST',
        headers: JOSE,
        body: domainRequest(machine),
      }),
    );
    if (joined?.status === 200) record.joins.set(machine.guid, domain);
  };
  const register = async () => {
    const answer = sent(
      'register',
      await send(`${url}/o/client/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-info': deviceInfoHeader() },
        body: JSON.stringify({ software_statement: app.statement }),
      }),
    );
    if (answer?.status === 201) record.registrations.add(answer.body.client_id);
  };
  const authorize = async () => {
    const answer = sent(
      'authorize',
      await send(`${url}${AUTHORIZE}`, {
        method: 'POST',
        headers: { ...app.headers, authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ resources: ['DemoChannel'] }),
      }),
    );
    if (answer?.status !== 200) return;
    const decision = answer.body?.decisions?.[0];
    if (decision?.authorized === true && typeof decision.token?.serializedToken === 'string') record.permits++;
    else record.cut.push(`authorize 200 without a permit: ${JSON.stringify(answer.body)}`);
  };

  const loop = async (worker: number) => {
    for (let i = 0; running; i++) {
      const step = (worker + i) % 3;
      if (step === 0) await join(LOAD_DOMAINS[worker % LOAD_DOMAINS.length] as string);
      else if (step === 1) await register();
      else await authorize();
    }
  };
  const loops = Array.from({ length: workers }, (_, worker) => loop(worker));
  return {
    record,
    /** Acknowledged joins, registrations and permits so far. */
    acknowledged: () => record.joins.size + record.registrations.size + record.permits,
    async stop() {
      running = false;
      await Promise.all(loops);
      return record;
    },
  };
}

const JOSE = { 'content-type': 'application/jose' };

async function send(url: string, init: RequestInit): Promise<Sent> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    return { kind: 'none', reason: errorCode(error) };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: 'cut', reason: `${response.status} ${errorCode(error)}` };
  }
  try {
    return { kind: 'answer', status: response.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { kind: 'cut', reason: `${response.status} with a body that is not JSON: ${text.slice(0, 80)}` };
  }
}

/** fetch's error code (ECONNREFUSED, UND_ERR_SOCKET, …), from its cause. */
function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export interface AuditFindings {
  /** Acknowledged, not stored. */
  lost: string[];
  /** Stored, never acknowledged: carried out, but its answer never reached the client. */
  unacknowledged: string[];
}

/** Compares the load's acknowledged joins and registrations (besides `known` clients) with the database. */
export async function audit(database: TestDatabase, record: LoadRecord, known: Set<string>): Promise<AuditFindings> {
  const storage = openStorage(database.target, 2);
  try {
    const members = await storage.db
      .selectFrom('domain_registrations as r')
      .innerJoin('domains as d', 'd.id', 'r.domain_id')
      .select(['r.guid', 'd.name'])
      .where('d.mode', '=', 'anonymous')
      .where('d.name', 'in', LOAD_DOMAINS)
      .execute();
    const clients = await storage.db.selectFrom('client_registrations').select('client_id').execute();
    const stored = new Map(members.map((row) => [row.guid, row.name]));
    const storedClients = new Set(clients.map((row) => row.client_id));
    const lost: string[] = [];
    const unacknowledged: string[] = [];
    for (const [guid, domain] of record.joins) if (stored.get(guid) !== domain) lost.push(`join ${domain} ${guid}`);
    for (const [guid, domain] of stored) if (!record.joins.has(guid)) unacknowledged.push(`join ${domain} ${guid}`);
    for (const id of record.registrations) if (!storedClients.has(id)) lost.push(`registration ${id}`);
    for (const id of storedClients) {
      if (!record.registrations.has(id) && !known.has(id)) unacknowledged.push(`registration ${id}`);
    }
    return { lost, unacknowledged };
  } finally {
    await storage.close();
  }
}
