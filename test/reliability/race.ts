import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { simulatedComponents } from '../../src/device/hardware.js';
import { newP256KeyPair } from '../../src/platform/crypto/p256.js';
import { openStorage, type Storage } from '../../src/platform/storage/database.js';
import type { TestDatabase } from '../support/databases.js';
import {
  domainRequest,
  individualize,
  post,
  protocolUrl,
  type RequestFields,
  type TestMachine,
} from '../support/machines.js';
import { type DomusProcess, loadTestEnv, startDomusServer } from '../support/processes.js';
import { seededRandom } from '../support/seeded-random.js';
import { publicJwk } from '../support/trusted-issuers.js';
import {
  type AuditDomain,
  auditRace,
  type RaceOperation,
  type RaceOperationKind,
  structuralProblems,
} from './race-audit.js';

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
  /** Share of a member's operations that remove another member (members, preview, commit). */
  removeShare?: number;
  /** How often the clock makes a member of an evicting domain unseen for longer than evictAfter. */
  ageEveryMs?: number;
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
  /** Removals of another member: listings, previews allowed, commits acknowledged and the GUIDs they removed. */
  removals: {
    listed: number;
    previewed: number;
    committed: number;
    removedGuids: number;
    limited: number;
    denied: number;
  };
  /** `evicted` events (GUIDs) and the evictions (machines) they make up; registrations the clock aged. */
  evictions: { guids: number; machines: number; aged: number };
  /** DOM_NOT_MEMBER answers, and joins without `dn` admitted after one. */
  notMember: { answers: number; joinedAgain: number };
  /** Structural checks made while the race ran. */
  checksDuring: number;
  /** Every answer by `<status> <error name>` (`200` for successes). */
  answers: Record<string, number>;
  /** Answers of HTTP 500 or more, and requests without an answer: must be 0. */
  serverErrors: number;
  transportErrors: number;
  /** Whatever the database holds that the acknowledged operations do not say: must be empty. */
  problems: string[];
}

interface RaceDomain extends AuditDomain {
  /** `name` is the name in the URL (anonymous) or the name the token makes (identity). */
  token?: string;
}

/** evictAfter of the evicting domains; the clock ages a member by more than this. */
const EVICT_AFTER_S = 3600;
/** The removal limit of the limited domains: with the race far shorter than the period, a few removals at most. */
const REMOVAL_LIMIT = { removals: 3, periodS: 3600 };

export async function runRace(options: RaceOptions): Promise<RaceFigures> {
  const { database, joins, domains: domainCount, limit, machines: machineCount } = options;
  const concurrency = options.concurrency ?? 32;
  const processCount = options.processes ?? 2;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const log = options.log ?? (() => {});
  const removeShare = options.removeShare ?? 0.2;
  const ageEveryMs = options.ageEveryMs ?? 200;
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-race-'));
  const issuer = newP256KeyPair();
  const issuersFile = path.join(dir, 'auth-issuers.json');
  fs.writeFileSync(issuersFile, JSON.stringify({ race: { keys: [publicJwk(issuer.publicKey)] } }));
  const env = { ...loadTestEnv(database.url), DOMUS_AUTH_ISSUERS_FILE: issuersFile };
  const servers: DomusProcess[] = [];
  let storage: Storage | undefined;
  const started = Date.now();
  try {
    for (let i = 0; i < processCount; i++) {
      const dataDir = path.join(dir, `data-${i}`);
      fs.mkdirSync(dataDir);
      // One at a time: the first start migrates and makes the server keys.
      servers.push(await startDomusServer({ ...env, DOMUS_DATA_DIR: dataDir }));
    }
    const server = () => pick(servers).url;

    // Domains of `limit` members, made ahead through the admin API. Two in three evict a member
    // unseen for EVICT_AFTER_S (i % 6 < 4: anonymous and identity ones), and two (one of each
    // mode, one evicting) limit removals.
    const domains: RaceDomain[] = [];
    for (let i = 0; i < domainCount; i++) {
      const policy = {
        evictAfterS: i % 6 < 4 ? EVICT_AFTER_S : null,
        removalLimit: i === 0 || i === 5 ? REMOVAL_LIMIT : null,
      };
      if (i % 2 === 0) {
        domains.push({ mode: 'anonymous', name: `race-${i}`, ...policy });
      } else {
        // A sub with ":" in it: identity names escape it (`race:user%3A<i>`).
        const token = await new SignJWT({ nq: 'race' })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer('race')
          .setSubject(`user:${i}`)
          .setExpirationTime('6h')
          .sign(issuer.privateKey);
        domains.push({ mode: 'identity', name: `race:user%3A${i}`, token, ...policy });
      }
    }
    for (const domain of domains) {
      const put = await servers[0]?.admin('PUT', `/domains/${domain.mode}/${encodeURIComponent(domain.name)}`, {
        maxMembership: limit,
        evictAfterSeconds: domain.evictAfterS,
        removalLimit: domain.removalLimit && {
          removals: domain.removalLimit.removals,
          periodSeconds: domain.removalLimit.periodS,
        },
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

    /** `guid domain` → whether the device believes it is a member (removals and evictions it learns of by calling). */
    const member = new Map<string, boolean>();
    /** `guid domain` told DOM_NOT_MEMBER and not admitted since. */
    const toldOut = new Set<string>();
    const operations: RaceOperation[] = [];
    const answers: Record<string, number> = {};
    const figures = {
      joins: { sent: 0, admitted: 0, rejoined: 0, refusedByLimit: 0 },
      leaves: { committed: 0, releasedSlot: 0 },
      removals: { listed: 0, previewed: 0, committed: 0, removedGuids: 0, limited: 0, denied: 0 },
      notMember: { answers: 0, joinedAgain: 0 },
    };
    let serverErrors = 0;
    let transportErrors = 0;
    const segments = {
      join: 'join',
      'leave-preview': 'leave',
      'leave-commit': 'leave',
      members: 'members',
      'remove-preview': 'remove',
      'remove-commit': 'remove',
    } as const;

    /** One request of `machine` about `domain`, tallied and logged for the audit. */
    const call = async (
      op: RaceOperationKind,
      machine: TestMachine,
      domain: RaceDomain,
      fields: RequestFields,
      extra: Partial<RaceOperation> = {},
    ) => {
      const target = domain.mode === 'anonymous' ? { anonymous: domain.name } : {};
      const body = domainRequest(machine, { at: domain.token, ...fields });
      const sentAt = Date.now();
      let answer: Awaited<ReturnType<typeof post>> | undefined;
      let outcome = 'no answer';
      try {
        answer = await post(protocolUrl(server(), segments[op], target), body);
        const name: string = answer.body?.error?.name ?? String(answer.status);
        const kind = answer.status === 200 ? '200' : `${answer.status} ${answer.body?.error?.name ?? ''}`;
        answers[kind] = (answers[kind] ?? 0) + 1;
        if (answer.status >= 500) serverErrors++;
        outcome = answer.status === 200 ? '200' : answer.status >= 500 ? `5xx ${name}` : name;
      } catch {
        transportErrors++;
      }
      const record: RaceOperation = {
        op,
        guid: machine.guid,
        domain: domain.name,
        sentAt,
        answeredAt: Date.now(),
        outcome,
        ...extra,
      };
      operations.push(record);
      if (outcome === 'DOM_NOT_MEMBER') {
        figures.notMember.answers++;
        member.set(`${machine.guid} ${domain.name}`, false);
        toldOut.add(`${machine.guid} ${domain.name}`);
      }
      return { answer, outcome, record };
    };

    /** A join: a new one, a re-join of a member (with `dn` or not), or a former member's new join. */
    const join = async (machine: TestMachine, domain: RaceDomain, dn: boolean) => {
      const key = `${machine.guid} ${domain.name}`;
      const wasMember = member.get(key) === true;
      figures.joins.sent++;
      const { outcome } = await call('join', machine, domain, dn ? { dn: domain.name } : {}, { dn });
      if (outcome === '200') {
        if (wasMember) figures.joins.rejoined++;
        else figures.joins.admitted++;
        if (toldOut.delete(key)) figures.notMember.joinedAgain++;
        member.set(key, true);
      } else if (outcome === 'DOM_LIMIT_REACHED') {
        figures.joins.refusedByLimit++;
        toldOut.delete(key);
        member.set(key, false);
      }
    };

    const leave = async (machine: TestMachine, domain: RaceDomain) => {
      const preview = await call('leave-preview', machine, domain, { op: 'leave', phase: 'preview' });
      if (preview.outcome !== '200') return;
      const commit = await call('leave-commit', machine, domain, { op: 'leave', phase: 'commit' });
      if (commit.outcome === '200') {
        figures.leaves.committed++;
        if (commit.answer?.body.machineReleased) figures.leaves.releasedSlot++;
        member.set(`${machine.guid} ${domain.name}`, false);
      }
    };

    /** A member lists the domain and removes another machine: preview, then commit. */
    const remove = async (machine: TestMachine, domain: RaceDomain) => {
      const listedAt = Date.now();
      const listing = await call('members', machine, domain, { op: 'members' });
      if (listing.outcome !== '200') return;
      figures.removals.listed++;
      const listed: { guid: string; self: boolean }[] = listing.answer?.body.members ?? [];
      // Not an app on its own machine (identity mode): the server denies that one, race or not.
      const others = listed.filter(
        (m) => !m.self && (domain.mode === 'anonymous' || hardwareOf.get(m.guid) !== hardwareOf.get(machine.guid)),
      );
      if (others.length === 0) return;
      const target = pick(others).guid;
      const tally = (outcome: string) => {
        if (outcome === 'DOM_REMOVAL_LIMITED') figures.removals.limited++;
        if (outcome === 'DEREG_DENIED') figures.removals.denied++;
      };
      const fields = { op: 'remove', member: target };
      const preview = await call(
        'remove-preview',
        machine,
        domain,
        { ...fields, phase: 'preview' },
        { target, listedAt },
      );
      tally(preview.outcome);
      if (preview.outcome !== '200') return;
      figures.removals.previewed++;
      const commit = await call('remove-commit', machine, domain, { ...fields, phase: 'commit' }, { target, listedAt });
      tally(commit.outcome);
      if (commit.outcome !== '200') return;
      const removed: string[] = commit.answer?.body.removed ?? [];
      commit.record.removed = removed;
      figures.removals.committed++;
      figures.removals.removedGuids += removed.length;
    };

    /** One operation of one machine. */
    const operate = async (machine: TestMachine) => {
      const keyOf = (domain: RaceDomain) => `${machine.guid} ${domain.name}`;
      // Told it was removed or evicted, a device mostly joins that domain again: a new join, no `dn`.
      const told = domains.filter((d) => toldOut.has(keyOf(d)));
      if (told.length > 0 && next() < 0.7) return join(machine, pick(told), false);
      const mine = domains.filter((d) => member.get(keyOf(d)) === true);
      if (mine.length > 0 && next() < removeShare) return remove(machine, pick(mine));
      // Mostly a domain it is a member of (a re-join or a leave, which frees slots to race for).
      const domain = mine.length > 0 && next() < 0.6 ? pick(mine) : pick(domains);
      const isMember = member.get(keyOf(domain)) === true;
      if (!isMember || next() < 0.5) return join(machine, domain, isMember && next() < 0.5);
      return leave(machine, domain);
    };

    // The clock: time cannot pass in a test, so it makes a member of an evicting domain unseen for
    // longer than evictAfter by moving its times back (mostly its whole machine, sometimes one app
    // of it), one row per statement. And a check of every count against its rows while it races.
    storage = openStorage(database.target, 2);
    const db = storage.db;
    let racing = true;
    let aged = 0;
    let checksDuring = 0;
    const during = new Set<string>();
    const evicting = domains.filter((d) => d.evictAfterS !== null).map((d) => d.name);
    const clock = async () => {
      while (racing) {
        await sleep(ageEveryMs);
        const { rows } = await sql<{ domain_id: number; guid: string; machine_row: number }>`
          select r.domain_id, r.guid, r.machine_row from domain_registrations r join domains d on d.id = r.domain_id
          where d.name = any(${evicting}) order by r.domain_id, r.guid`.execute(db);
        if (rows.length === 0) continue;
        const chosen = pick(rows);
        const shift = (EVICT_AFTER_S + 60 + Math.floor(next() * 3600)) * 1000;
        for (const row of next() < 0.7 ? rows.filter((r) => r.machine_row === chosen.machine_row) : [chosen]) {
          await sql`update domain_registrations set last_seen = last_seen - ${shift}, first_seen = first_seen - ${shift}
            where domain_id = ${row.domain_id} and guid = ${row.guid}`.execute(db);
          aged++;
        }
      }
    };
    const monitor = async () => {
      while (racing) {
        await sleep(500);
        for (const problem of await structuralProblems(db, domains)) during.add(`during the race: ${problem}`);
        checksDuring++;
      }
    };
    const background = [clock(), monitor()];

    log(
      `race: ${joins} joins, with leaves, removals and evictions, through ${processCount} processes, ${concurrency} at once`,
    );
    const idle = [...machines];
    try {
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
    } finally {
      racing = false;
      await Promise.all(background);
    }

    const audit = await auditRace(db, domains, operations, hardwareOf, limit);
    const unanswered = operations.filter((o) => o.outcome === 'no answer' || o.outcome.startsWith('5')).length;
    return {
      processes: processCount,
      domains: domainCount,
      limit,
      machines: machineCount,
      seed,
      seconds: (Date.now() - started) / 1000,
      ...figures,
      evictions: { guids: audit.evictedGuids, machines: audit.evictions, aged },
      checksDuring,
      answers,
      serverErrors,
      transportErrors,
      problems: [
        ...(unanswered > 0 ? [`${unanswered} operations without an answer`] : []),
        ...[...during].slice(0, 20),
        ...audit.problems.slice(0, 50),
      ],
    };
  } finally {
    await storage?.close();
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
