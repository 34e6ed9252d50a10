import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { simulatedComponents } from '../../src/device/hardware.js';
import { newP256KeyPair } from '../../src/platform/crypto/p256.js';
import { openStorage } from '../../src/platform/storage/database.js';
import type { TestDatabase } from '../support/databases.js';
import { domainRequest, individualize, post, protocolUrl, type TestMachine } from '../support/machines.js';
import { type DomusProcess, loadTestEnv, startDomusServer } from '../support/processes.js';
import { seededRandom } from '../support/seeded-random.js';
import { publicJwk } from '../support/trusted-issuers.js';

export interface RaceOptions {
  /** A fresh PostgreSQL database (the caller creates and drops it). */
  database: TestDatabase;
  /** Join requests to send in all (joins of non-members and re-joins of members). */
  joins: number;
  /** Domains, half anonymous and half identity. */
  domains: number;
  /** maxMembership of every domain (small, so that joins meet it). */
  limit: number;
  /** Distinct machines (app installs); every fourth shares its hardware with the one before. */
  machines: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** `domus serve` processes sharing the database. */
  processes?: number;
  /** Seed of the choices (which machine, which domain, which operation). */
  seed?: number;
  log?: (line: string) => void;
}

export interface RaceFigures {
  processes: number;
  domains: number;
  limit: number;
  machines: number;
  seed: number;
  seconds: number;
  joins: { sent: number; admitted: number; rejoined: number; refusedByLimit: number };
  leaves: { committed: number; releasedSlot: number };
  /** Every answer by `<status> <error name>` (`200` for successes). */
  answers: Record<string, number>;
  /** Answers of HTTP 500 or more, and requests without an answer: must be 0. */
  serverErrors: number;
  transportErrors: number;
  /** Whatever the database holds that the acknowledged operations do not say: must be empty. */
  problems: string[];
}

interface RaceDomain {
  mode: 'anonymous' | 'identity';
  /** The name in the URL (anonymous) or the name the token makes (identity). */
  name: string;
  token?: string;
}

export async function runRace(options: RaceOptions): Promise<RaceFigures> {
  const { database, joins, domains: domainCount, limit, machines: machineCount } = options;
  const concurrency = options.concurrency ?? 32;
  const processCount = options.processes ?? 2;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const log = options.log ?? (() => {});
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-race-'));
  const issuer = newP256KeyPair();
  const issuersFile = path.join(dir, 'auth-issuers.json');
  fs.writeFileSync(issuersFile, JSON.stringify({ race: { keys: [publicJwk(issuer.publicKey)] } }));
  const env = { ...loadTestEnv(database.url), DOMUS_AUTH_ISSUERS_FILE: issuersFile };
  const servers: DomusProcess[] = [];
  const started = Date.now();
  try {
    for (let i = 0; i < processCount; i++) {
      const dataDir = path.join(dir, `data-${i}`);
      fs.mkdirSync(dataDir);
      // One at a time: the first start migrates and makes the server keys.
      servers.push(await startDomusServer({ ...env, DOMUS_DATA_DIR: dataDir }));
    }
    const server = () => pick(servers).url;

    // Domains of `limit` members, made ahead through the admin API.
    const domains: RaceDomain[] = [];
    for (let i = 0; i < domainCount; i++) {
      if (i % 2 === 0) {
        domains.push({ mode: 'anonymous', name: `race-${i}` });
      } else {
        // A sub with ":" in it: identity names escape it (`race:user%3A<i>`).
        const token = await new SignJWT({ nq: 'race' })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer('race')
          .setSubject(`user:${i}`)
          .setExpirationTime('6h')
          .sign(issuer.privateKey);
        domains.push({ mode: 'identity', name: `race:user%3A${i}`, token });
      }
    }
    for (const domain of domains) {
      const put = await servers[0]?.admin('PUT', `/domains/${domain.mode}/${encodeURIComponent(domain.name)}`, {
        maxMembership: limit,
      });
      if (put?.status !== 201) throw new Error(`cannot create ${domain.name}: ${JSON.stringify(put?.body)}`);
    }

    // Machines; every fourth is a second app on the hardware of the one before.
    log(`race: individualizing ${machineCount} machines`);
    const hardware: string[][] = [];
    for (let i = 0; i < machineCount; i++) {
      hardware.push(i % 4 === 3 ? (hardware[i - 1] as string[]) : simulatedComponents(`race-${seed}-${i}`));
    }
    const machines: TestMachine[] = new Array(machineCount);
    let made = 0;
    await Promise.all(
      Array.from({ length: Math.min(8, machineCount) }, async () => {
        while (made < machineCount) {
          const i = made++;
          machines[i] = await individualize(server(), hardware[i]);
        }
      }),
    );
    const hardwareOf = new Map(machines.map((m, i) => [m.guid, hardware.indexOf(hardware[i] as string[])]));

    /** `guid domain` → whether the machine is a member, as the acknowledged answers say. */
    const member = new Map<string, boolean>();
    /** Pairs whose outcome is unknown (no answer): left out of the exact check. */
    const unknown = new Set<string>();
    const answers: Record<string, number> = {};
    const figures = {
      joins: { sent: 0, admitted: 0, rejoined: 0, refusedByLimit: 0 },
      leaves: { committed: 0, releasedSlot: 0 },
    };
    let serverErrors = 0;
    let transportErrors = 0;
    const send = async (url: string, body: string) => {
      try {
        const answer = await post(url, body);
        const kind = answer.status === 200 ? '200' : `${answer.status} ${answer.body?.error?.name ?? ''}`;
        answers[kind] = (answers[kind] ?? 0) + 1;
        if (answer.status >= 500) serverErrors++;
        return answer;
      } catch {
        transportErrors++;
        return undefined;
      }
    };

    /** One operation of one machine: a join (or re-join), or a leave in its two phases. */
    const operate = async (machine: TestMachine) => {
      // Mostly a domain it is a member of (a re-join or a leave, which frees slots to race for).
      const mine = domains.filter((d) => member.get(`${machine.guid} ${d.name}`) === true);
      const domain = mine.length > 0 && next() < 0.6 ? pick(mine) : pick(domains);
      const key = `${machine.guid} ${domain.name}`;
      const target = domain.mode === 'anonymous' ? { anonymous: domain.name } : {};
      const at = domain.token;
      const isMember = member.get(key) === true;
      if (!isMember || next() < 0.5) {
        figures.joins.sent++;
        const answer = await send(protocolUrl(server(), 'join', target), domainRequest(machine, { at }));
        if (!answer || answer.status >= 500) return unknown.add(key);
        if (answer.status === 200) {
          if (isMember) figures.joins.rejoined++;
          else figures.joins.admitted++;
          member.set(key, true);
        } else if (answer.body?.error?.name === 'DOM_LIMIT_REACHED') {
          figures.joins.refusedByLimit++;
        }
        return;
      }
      const leaveUrl = protocolUrl(server(), 'leave', target);
      const preview = await send(leaveUrl, domainRequest(machine, { op: 'leave', phase: 'preview', at }));
      if (preview?.status !== 200) return preview && preview.status < 500 ? undefined : unknown.add(key);
      const commit = await send(
        protocolUrl(server(), 'leave', target),
        domainRequest(machine, { op: 'leave', phase: 'commit', at }),
      );
      if (!commit || commit.status >= 500) return unknown.add(key);
      if (commit.status === 200) {
        figures.leaves.committed++;
        if (commit.body.machineReleased) figures.leaves.releasedSlot++;
        member.set(key, false);
      }
    };

    log(`race: ${joins} joins, with leaves, through ${processCount} processes, ${concurrency} at once`);
    const idle = [...machines];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (figures.joins.sent < joins && idle.length > 0) {
          // A machine nobody else is using now: a device sends one request at a time.
          const machine = idle.splice(Math.floor(next() * idle.length), 1)[0] as TestMachine;
          await operate(machine);
          idle.push(machine);
        }
      }),
    );

    const problems = await audit(database, domains, member, unknown, hardwareOf, limit);
    return {
      processes: processCount,
      domains: domainCount,
      limit,
      machines: machineCount,
      seed,
      seconds: (Date.now() - started) / 1000,
      ...figures,
      answers,
      serverErrors,
      transportErrors,
      problems: unknown.size > 0 ? [`${unknown.size} operations without an answer`, ...problems] : problems,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the database holds against what the acknowledged answers say. */
async function audit(
  database: TestDatabase,
  domains: RaceDomain[],
  member: Map<string, boolean>,
  unknown: Set<string>,
  hardwareOf: Map<string, number>,
  limit: number,
): Promise<string[]> {
  const storage = openStorage(database.target, 1);
  const problems: string[] = [];
  try {
    const rows = await sql<{
      name: string;
      mode: string;
      member_count: number;
      max_membership: number | null;
      machines: number;
      registrations: number;
      empty_machines: number;
    }>`select d.name, d.mode, d.member_count, d.max_membership,
        (select count(*) from domain_machines m where m.domain_id = d.id)::int as machines,
        (select count(*) from domain_registrations r where r.domain_id = d.id)::int as registrations,
        (select count(*) from domain_machines m where m.domain_id = d.id
          and not exists (select 1 from domain_registrations r where r.machine_row = m.id))::int as empty_machines
      from domains d`.execute(storage.db);
    const registered = await sql<{ guid: string; name: string }>`
      select r.guid, d.name from domain_registrations r join domains d on d.id = r.domain_id`.execute(storage.db);
    const stored = new Set(registered.rows.map((row) => `${row.guid} ${row.name}`));

    for (const domain of domains) {
      const row = rows.rows.find((r) => r.name === domain.name && r.mode === domain.mode);
      if (!row) {
        problems.push(`${domain.name}: missing`);
        continue;
      }
      const expectedMembers = [...member].filter(([key, is]) => is && key.endsWith(` ${domain.name}`));
      const slots =
        domain.mode === 'anonymous'
          ? expectedMembers.length
          : new Set(expectedMembers.map(([key]) => hardwareOf.get(key.split(' ')[0] as string))).size;
      const exact = ![...unknown].some((key) => key.endsWith(` ${domain.name}`));
      if (row.member_count !== row.machines)
        problems.push(`${domain.name}: count ${row.member_count}, slots ${row.machines}`);
      if (domain.mode === 'anonymous' && row.machines !== row.registrations) {
        problems.push(`${domain.name}: ${row.machines} slots, ${row.registrations} registrations`);
      }
      if (row.empty_machines > 0) problems.push(`${domain.name}: ${row.empty_machines} slots without a registration`);
      if (row.member_count > limit)
        problems.push(`${domain.name}: ${row.member_count} members over the limit ${limit}`);
      if (exact && row.member_count !== slots) {
        problems.push(`${domain.name}: ${row.member_count} members, the acknowledged answers say ${slots}`);
      }
    }
    for (const [key, is] of member) {
      if (unknown.has(key)) continue;
      if (is && !stored.has(key)) problems.push(`acknowledged join lost: ${key}`);
      if (!is && stored.has(key)) problems.push(`acknowledged leave not recorded: ${key}`);
    }
    for (const key of stored) {
      if (!member.has(key) && !unknown.has(key)) problems.push(`registration nobody acknowledged: ${key}`);
    }
  } finally {
    await storage.close();
  }
  return problems;
}
