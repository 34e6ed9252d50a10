/**
 * What the race (race.ts) checks in the database: the structure of every domain (also while the
 * race runs), and at the end the domain events replayed against the registrations, the former
 * members and every answer the devices got. The events are the order of a domain's changes (each
 * is written under the domain's lock, so ids ascend in commit order); the answers say what was
 * acknowledged and when: a change committed before its answer arrived and after its request left.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/platform/storage/schema.js';

export type RaceOperationKind =
  | 'join'
  | 'leave-preview'
  | 'leave-commit'
  | 'members'
  | 'remove-preview'
  | 'remove-commit';

/** One request of a device and its answer, in the order the device made them. */
export interface RaceOperation {
  op: RaceOperationKind;
  guid: string;
  /** The domain's name. */
  domain: string;
  /** join: whether it carried `dn` (the device believed it held the domain's credentials). */
  dn?: boolean;
  /** remove: the member it named, and when the members listing it chose from was sent. */
  target?: string;
  listedAt?: number;
  sentAt: number;
  answeredAt: number;
  /** `200`, the error's name, `5xx <name>` or `no answer`. */
  outcome: string;
  /** remove commit: the GUIDs the answer says it removed. */
  removed?: string[];
}

export interface AuditDomain {
  mode: 'anonymous' | 'identity';
  name: string;
  evictAfterS: number | null;
  removalLimit: { removals: number; periodS: number } | null;
}

export interface AuditResult {
  problems: string[];
  /** `evicted` events, and the evictions (machines) they make up. */
  evictedGuids: number;
  evictions: number;
  /** `removed` events by devices. */
  removedGuids: number;
}

type Db = Kysely<Database>;

/**
 * Counts against rows in one statement (one snapshot, so it may run while the race does): every
 * count equal to its slots, within the limit, no slot without a registration, every registration
 * on a slot of its own domain, and (anonymous) one registration per slot.
 */
export async function structuralProblems(db: Db, domains: AuditDomain[]): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
    mode: string;
    member_count: number;
    max_membership: number | null;
    machines: number;
    registrations: number;
    empty_machines: number;
    stray_registrations: number;
  }>`select d.name, d.mode, d.member_count, d.max_membership,
      (select count(*) from domain_machines m where m.domain_id = d.id)::int as machines,
      (select count(*) from domain_registrations r where r.domain_id = d.id)::int as registrations,
      (select count(*) from domain_machines m where m.domain_id = d.id
        and not exists (select 1 from domain_registrations r where r.machine_row = m.id))::int as empty_machines,
      (select count(*) from domain_registrations r left join domain_machines m on m.id = r.machine_row
        where r.domain_id = d.id and (m.id is null or m.domain_id <> d.id))::int as stray_registrations
    from domains d`.execute(db);
  const problems: string[] = [];
  for (const domain of domains) {
    const row = rows.find((r) => r.name === domain.name && r.mode === domain.mode);
    if (!row) {
      problems.push(`${domain.name}: missing`);
      continue;
    }
    if (row.member_count !== row.machines) {
      problems.push(`${domain.name}: count ${row.member_count}, slots ${row.machines}`);
    }
    if (row.max_membership !== null && row.machines > row.max_membership) {
      problems.push(`${domain.name}: ${row.machines} slots over the limit ${row.max_membership}`);
    }
    if (domain.mode === 'anonymous' && row.machines !== row.registrations) {
      problems.push(`${domain.name}: ${row.machines} slots, ${row.registrations} registrations`);
    }
    if (row.empty_machines > 0) problems.push(`${domain.name}: ${row.empty_machines} slots without a registration`);
    if (row.stray_registrations > 0) {
      problems.push(`${domain.name}: ${row.stray_registrations} registrations on a slot of no or another domain`);
    }
  }
  return problems;
}

interface Event {
  id: number;
  domain: string;
  kind: string;
  actor: string | null;
  subject: string | null;
  at: number;
  detail: Record<string, unknown> | null;
}

const MEMBERSHIP = new Set(['joined', 'moved', 'left', 'removed', 'evicted']);
const OUT = new Set(['left', 'removed', 'evicted']);
/** Answers that show the device was a member when the server read it. */
const MEMBER_EVIDENCE = (o: RaceOperation) =>
  (o.outcome === '200' && o.op !== 'leave-commit') ||
  o.outcome === 'DOM_REMOVAL_LIMITED' ||
  (o.outcome === 'DEREG_DENIED' && o.op.startsWith('remove'));
/** Answers that show it was not (a leave committed, a join refused for want of a slot, or told so). */
const NONMEMBER_EVIDENCE = (o: RaceOperation) =>
  (o.op === 'leave-commit' && o.outcome === '200') ||
  (o.op === 'join' && o.outcome === 'DOM_LIMIT_REACHED') ||
  o.outcome === 'DOM_NOT_MEMBER';
const UNANSWERED = (o: RaceOperation) => o.outcome === 'no answer' || o.outcome.startsWith('5');

/** The answers each operation may legitimately get in this race. */
function expectedOutcomes(op: RaceOperation, domain: AuditDomain): string[] {
  switch (op.op) {
    case 'join':
      return op.dn ? ['200', 'DOM_LIMIT_REACHED', 'DOM_NOT_MEMBER'] : ['200', 'DOM_LIMIT_REACHED'];
    case 'leave-preview':
    case 'leave-commit':
    case 'members':
      return ['200', 'DOM_NOT_MEMBER'];
    default:
      return ['200', 'DOM_NOT_MEMBER', 'DEREG_DENIED', ...(domain.removalLimit ? ['DOM_REMOVAL_LIMITED'] : [])];
  }
}

/** Everything the end of the race checks; see the file's comment. */
export async function auditRace(
  db: Db,
  domains: AuditDomain[],
  operations: RaceOperation[],
  hardwareOf: Map<string, number>,
  limit: number,
): Promise<AuditResult> {
  const problems = await structuralProblems(db, domains);
  const names = new Set(domains.map((d) => d.name));
  const domainOf = new Map(domains.map((d) => [d.name, d]));

  const events: Event[] = (
    await sql<{
      id: number | string;
      name: string;
      kind: string;
      actor_guid: string | null;
      subject_guid: string | null;
      at: number | string;
      detail: string | null;
    }>`select e.id, d.name, e.kind, e.actor_guid, e.subject_guid, e.at, e.detail
      from domain_events e join domains d on d.id = e.domain_id order by e.id`.execute(db)
  ).rows
    .filter((row) => names.has(row.name))
    .map((row) => ({
      id: Number(row.id),
      domain: row.name,
      kind: row.kind,
      actor: row.actor_guid,
      subject: row.subject_guid,
      at: Number(row.at),
      detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    }));
  const registrations = (
    await sql<{ guid: string; name: string; machine_row: number }>`
      select r.guid, d.name, r.machine_row from domain_registrations r join domains d on d.id = r.domain_id`.execute(db)
  ).rows.filter((row) => names.has(row.name));
  const formers = (
    await sql<{ guid: string; name: string; reason: string }>`
      select f.guid, d.name, f.reason from domain_former_members f join domains d on d.id = f.domain_id`.execute(db)
  ).rows.filter((row) => names.has(row.name));
  const stored = new Set(registrations.map((row) => `${row.guid} ${row.name}`));

  // Identity slots: one physical machine each, and no machine on two slots.
  for (const domain of domains.filter((d) => d.mode === 'identity')) {
    const slots = new Map<number, Set<number | undefined>>();
    for (const row of registrations.filter((r) => r.name === domain.name)) {
      const slot = slots.get(row.machine_row) ?? new Set();
      slot.add(hardwareOf.get(row.guid));
      slots.set(row.machine_row, slot);
    }
    const machines = [...slots.values()].flatMap((slot) => [...slot]);
    if ([...slots.values()].some((slot) => slot.size !== 1)) {
      problems.push(`${domain.name}: a slot holds the registrations of several machines`);
    }
    if (new Set(machines).size !== machines.length) problems.push(`${domain.name}: a machine on several slots`);
  }

  // Operations by device and domain, in the device's order; and whose outcome is not known.
  const byKey = new Map<string, RaceOperation[]>();
  for (const op of operations) {
    const key = `${op.guid} ${op.domain}`;
    byKey.set(key, [...(byKey.get(key) ?? []), op]);
    const domain = domainOf.get(op.domain) as AuditDomain;
    if (!UNANSWERED(op) && !expectedOutcomes(op, domain).includes(op.outcome)) {
      problems.push(`${op.op} of ${op.guid} in ${op.domain}${op.dn ? ' with dn' : ''} answered ${op.outcome}`);
    }
  }
  const inexactKeys = new Set(operations.filter(UNANSWERED).map((o) => `${o.guid} ${o.domain}`));
  const inexactDomains = new Set(operations.filter(UNANSWERED).map((o) => o.domain));
  const exact = (key: string) => !inexactKeys.has(key);

  /**
   * When the change an event records was answered at the latest: the answer of the request that
   * made it (its server time lies between that request's sending and its answer).
   */
  const causeOf = (event: Event): RaceOperation | undefined => {
    const made = (guid: string | null, kind: RaceOperationKind) =>
      (byKey.get(`${guid} ${event.domain}`) ?? []).find(
        (o) => o.op === kind && o.sentAt <= event.at && event.at <= o.answeredAt && !UNANSWERED(o),
      );
    if (event.kind === 'left') return made(event.subject, 'leave-commit');
    if (event.kind === 'removed') return made(event.actor, 'remove-commit');
    if (event.kind === 'evicted' || event.kind === 'joined') return made(event.actor, 'join');
    return undefined;
  };
  const committedBy = (event: Event) => causeOf(event)?.answeredAt ?? Number.POSITIVE_INFINITY;

  // Replay the events: the membership they describe, step by step, within the limit.
  const timeline = new Map<string, Event[]>();
  const members = new Map<string, Set<string>>(domains.map((d) => [d.name, new Set()]));
  const slotsOf = (domain: AuditDomain, guids: Set<string>) =>
    domain.mode === 'anonymous' ? guids.size : new Set([...guids].map((g) => hardwareOf.get(g))).size;
  let evictedGuids = 0;
  let evictions = 0;
  let removedGuids = 0;
  const removalCommits = new Map<string, { at: number; actor: string }[]>();
  for (const [i, event] of events.entries()) {
    if (!MEMBERSHIP.has(event.kind)) continue;
    const domain = domainOf.get(event.domain) as AuditDomain;
    const set = members.get(event.domain) as Set<string>;
    const guid = event.subject as string;
    const key = `${guid} ${event.domain}`;
    timeline.set(key, [...(timeline.get(key) ?? []), event]);
    const where = `event ${event.id} (${event.kind} ${guid} in ${event.domain})`;
    if (event.kind === 'moved') problems.push(`${where}: no machine of the race changes hardware`);
    if (event.kind === 'joined') {
      if (set.has(guid)) problems.push(`${where}: already a member`);
      set.add(guid);
      if (slotsOf(domain, set) > limit) problems.push(`${where}: ${slotsOf(domain, set)} slots over the limit`);
      continue;
    }
    if (!set.has(guid)) problems.push(`${where}: not a member`);
    if (event.kind === 'evicted') {
      evictedGuids++;
      const previous = events
        .slice(0, i)
        .reverse()
        .find((e) => e.domain === event.domain);
      const first = !(previous?.kind === 'evicted' && previous.at === event.at && previous.actor === event.actor);
      if (first) evictions++;
      if (domain.evictAfterS === null) problems.push(`${where}: the domain has no evictAfter`);
      const lastSeen = Date.parse(String(event.detail?.lastSeen));
      if (!(lastSeen < event.at - (domain.evictAfterS ?? 0) * 1000)) {
        problems.push(`${where}: last seen ${event.detail?.lastSeen}, not stale`);
      }
      if (first && slotsOf(domain, set) !== limit) {
        problems.push(`${where}: evicted from a domain of ${slotsOf(domain, set)} slots, not full`);
      }
      const after = events.slice(i + 1).find((e) => e.domain === event.domain && e.kind !== 'evicted');
      if (after?.kind !== 'joined' || after.subject !== event.actor) {
        problems.push(`${where}: not followed by the join of its evicter ${event.actor}`);
      }
      if (!inexactDomains.has(event.domain) && causeOf(event)?.outcome !== '200') {
        problems.push(`${where}: no acknowledged join of ${event.actor} made it`);
      }
    }
    if (event.kind === 'removed' && event.actor !== null) {
      removedGuids++;
      const commits = removalCommits.get(event.domain) ?? [];
      const last = commits.at(-1);
      if (!(last && last.at === event.at && last.actor === event.actor))
        commits.push({ at: event.at, actor: event.actor });
      removalCommits.set(event.domain, commits);
    }
    set.delete(guid);
  }
  for (const domain of domains) {
    const replayed = members.get(domain.name) as Set<string>;
    for (const guid of replayed) {
      if (!stored.has(`${guid} ${domain.name}`)) problems.push(`${guid} ${domain.name}: the events say member, no row`);
    }
    for (const row of registrations.filter((r) => r.name === domain.name)) {
      if (!replayed.has(row.guid)) problems.push(`${row.guid} ${domain.name}: a row the events never admitted`);
    }
  }

  // Former members: exactly the GUIDs whose last change was a removal or an eviction.
  const expectedFormer = new Map<string, string>();
  for (const [key, changes] of timeline) {
    const last = changes.at(-1) as Event;
    if (last.kind === 'removed' || last.kind === 'evicted') expectedFormer.set(key, last.kind);
  }
  for (const row of formers) {
    const key = `${row.guid} ${row.name}`;
    if (expectedFormer.get(key) !== row.reason) {
      problems.push(`${key}: former member (${row.reason}), the events say ${expectedFormer.get(key) ?? 'not'}`);
    }
    expectedFormer.delete(key);
  }
  for (const [key, reason] of expectedFormer) problems.push(`${key}: ${reason}, but not a former member`);

  // Every acknowledged removal: its events, and its GUIDs gone unless they joined again later.
  const matched = new Set<number>();
  for (const op of operations.filter((o) => o.op === 'remove-commit' && o.outcome === '200')) {
    const removed = op.removed ?? [];
    const where = `removal of ${op.target} by ${op.guid} in ${op.domain}`;
    const domain = domainOf.get(op.domain) as AuditDomain;
    if (!removed.includes(op.target as string)) problems.push(`${where}: answered ${removed.join(',')}`);
    const sameMachine = removed.every((g) => hardwareOf.get(g) === hardwareOf.get(op.target as string));
    if (domain.mode === 'anonymous' ? removed.length !== 1 : !sameMachine) {
      problems.push(`${where}: removed ${removed.join(',')}, not one machine`);
    }
    for (const guid of removed) {
      const event = events.find(
        (e) =>
          e.kind === 'removed' &&
          e.domain === op.domain &&
          e.actor === op.guid &&
          e.subject === guid &&
          op.sentAt <= e.at &&
          e.at <= op.answeredAt &&
          !matched.has(e.id),
      );
      if (!event) {
        problems.push(`${where}: no removed event of ${guid}`);
        continue;
      }
      matched.add(event.id);
      const rejoined = (timeline.get(`${guid} ${op.domain}`) ?? []).some((e) => e.kind === 'joined' && e.id > event.id);
      if (!rejoined && stored.has(`${guid} ${op.domain}`)) problems.push(`${where}: ${guid} still registered`);
    }
  }
  for (const event of events.filter((e) => e.kind === 'removed' && e.actor !== null && !matched.has(e.id))) {
    if (!inexactDomains.has(event.domain)) problems.push(`event ${event.id}: a removal nobody acknowledged`);
  }
  // Every eviction: the GUID gone unless it joined again later.
  for (const event of events.filter((e) => e.kind === 'evicted')) {
    const key = `${event.subject} ${event.domain}`;
    const rejoined = (timeline.get(key) ?? []).some((e) => e.kind === 'joined' && e.id > event.id);
    if (!rejoined && stored.has(key)) problems.push(`event ${event.id}: evicted ${key} still registered`);
  }

  // The removal limit held: no removal while the last period already had `removals` of them.
  for (const domain of domains) {
    const commits = removalCommits.get(domain.name) ?? [];
    const limited = domain.removalLimit;
    if (!limited) continue;
    for (const [k, commit] of commits.entries()) {
      const recent = commits.slice(0, k).filter((c) => c.at > commit.at - limited.periodS * 1000).length;
      if (recent >= limited.removals) {
        problems.push(`${domain.name}: removal by ${commit.actor} after ${recent} in the period`);
      }
    }
  }

  // Each device's answers against the events about it.
  for (const [key, ops] of byKey) {
    const changes = timeline.get(key) ?? [];
    const outEvents = changes.filter((e) => OUT.has(e.kind) && e.kind !== 'left');
    if (exact(key)) {
      const left = changes.filter((e) => e.kind === 'left').length;
      const committed = ops.filter((o) => o.op === 'leave-commit' && o.outcome === '200').length;
      if (left !== committed) problems.push(`${key}: ${committed} acknowledged leaves, ${left} left events`);
    }
    let lastMember: RaceOperation | undefined;
    let knownOut = true;
    let newJoins = 0;
    let episodes = 0;
    let last: RaceOperation | undefined;
    for (const op of ops) {
      if (UNANSWERED(op)) continue;
      if (op.outcome === 'DOM_NOT_MEMBER') {
        // Told it was removed or evicted: a change after the device last saw itself a member.
        const since = lastMember?.sentAt ?? Number.NEGATIVE_INFINITY;
        const cause = outEvents.find((e) => e.at <= op.answeredAt && committedBy(e) >= since);
        if (!cause) problems.push(`${key}: ${op.op} answered DOM_NOT_MEMBER, nothing removed or evicted it`);
        if (!knownOut) episodes++;
      }
      if (op.outcome === 'DEREG_DENIED' && op.op.startsWith('remove')) {
        // The member it named left, or was removed or evicted, after the listing it came from.
        const gone = (timeline.get(`${op.target} ${op.domain}`) ?? []).some(
          (e) => OUT.has(e.kind) && e.at <= op.answeredAt && committedBy(e) >= (op.listedAt as number),
        );
        if (!gone) problems.push(`${key}: ${op.op} of ${op.target} denied, but it was a member`);
      }
      if (op.op === 'join' && op.outcome === '200' && knownOut) newJoins++;
      if (MEMBER_EVIDENCE(op)) {
        lastMember = op;
        knownOut = false;
        last = op;
      } else if (NONMEMBER_EVIDENCE(op)) {
        knownOut = true;
        last = op;
      }
    }
    if (!exact(key)) continue;
    if (episodes > outEvents.length) {
      problems.push(`${key}: told DOM_NOT_MEMBER ${episodes} times, removed or evicted ${outEvents.length}`);
    }
    const joined = changes.filter((e) => e.kind === 'joined').length;
    const acknowledged = ops.filter((o) => o.op === 'join' && o.outcome === '200').length;
    if (joined > acknowledged) problems.push(`${key}: ${joined} joined events, ${acknowledged} acknowledged joins`);
    if (joined < newJoins) problems.push(`${key}: ${newJoins} acknowledged new joins, ${joined} joined events`);
    const registered = stored.has(key);
    if (registered && acknowledged === 0) problems.push(`${key}: a registration nobody acknowledged`);
    if (!last) continue;
    if (NONMEMBER_EVIDENCE(last) && registered) problems.push(`${key}: registered after ${last.op} ${last.outcome}`);
    if (MEMBER_EVIDENCE(last) && !registered) {
      // Only a removal or an eviction committed after the device's last request takes it out.
      const final = changes.at(-1);
      const takenOut =
        final !== undefined &&
        (final.kind === 'removed' || final.kind === 'evicted') &&
        committedBy(final) >= last.sentAt;
      if (!takenOut) problems.push(`${key}: acknowledged ${last.op} lost (last change: ${final?.kind ?? 'none'})`);
    }
  }
  return { problems, evictedGuids, evictions, removedGuids };
}
