/**
 * Join (registration), docs/domain-protocol.md §8, in the RI's order: domain → authentication →
 * re-join name → former member → suspended → disabled → membership (evicting a stale member when
 * the domain is full and its policy says so) → keys → credentials. Everything up to the keys runs in
 * one transaction under the domain row's lock, so a refused join changes nothing and member
 * limits hold across processes. Creating the domain and adding a membership take the request's
 * rate limits (limits.ts) in that transaction, and every change records its event there too
 * (events.ts; a member re-joining changes nothing and records none).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/storage/schema.js';
import { transaction } from '../platform/storage/transaction.js';
import type { Credential } from './domain-keys.js';
import type { DomainRequest } from './envelope.js';
import { DomainError } from './errors.js';
import { device, recordEvent } from './events.js';
import { forgetFormerMember, formerMember, markFormerMembers } from './former-members.js';
import { addKey, deleteKeys, listKeys, saveCertificate } from './key-rows.js';
import { machinesMatch } from './machine-id.js';
import {
  checkAuthentication,
  checkNotSuspended,
  type DomainDeps,
  type DomainTarget,
  domainNameOf,
  serverUrlOf,
} from './policy.js';
import type { DomainRecord, KeyRecord } from './records.js';
import { retainedKeys } from './rejoin-query.js';
import { recordMessage } from './seen-messages.js';

export interface JoinAnswer {
  ver: number;
  domain: { name: string; mode: DomainRecord['mode']; serverUrl: string };
  member: { guid: string; members: number; maxMembership: number | null };
  credentials: Credential[];
}

export async function join(deps: DomainDeps, request: DomainRequest, target: DomainTarget): Promise<JoinAnswer> {
  const name = domainNameOf(target, request);
  const serverUrl = serverUrlOf(deps.publicRoot(), target.mode, name);

  const { domain, keys, rolledOver } =
    (await rejoin(deps, request, target.mode, name)) ??
    (await transaction(deps.storage, async (trx) => {
      const now = Date.now();
      await recordMessage(trx, request.machine.guid, request.mid, now, now - deps.replayWindowMs);
      const domain = await lockOrCreate(deps, trx, target.mode, name, request.machine.guid, now);

      checkAuthentication(domain, request);
      if (request.dn !== undefined && request.dn !== name) {
        throw new DomainError('DOM_REG_DENIED', 'the client holds credentials of another domain');
      }
      if (request.dn !== undefined) await checkStillMember(deps, trx, domain, request.machine.guid);
      checkNotSuspended(domain);
      if (domain.disabled) throw new DomainError('DOM_REG_DENIED', 'this domain is disabled');

      const { memberCount, released } = await admit(deps, trx, domain, request, now);
      // A machine this join released (see admit) rolls the key over as a leave would; being the
      // next join, this one makes the new version.
      const keyRolloverRequired = domain.keyRolloverRequired || released;
      const { keys, rolledOver } = await currentKeys(deps, trx, { ...domain, keyRolloverRequired }, serverUrl, now);
      if (rolledOver) {
        const keyVersion = keys.at(-1)?.version;
        await recordEvent(
          trx,
          domain.id,
          { kind: 'rolled_over', actor: device(request.machine.guid), keyVersion },
          now,
        );
      }
      if (memberCount !== domain.memberCount || keyRolloverRequired) {
        await deps.store.updateDomain(trx, domain.id, { memberCount, keyRolloverRequired: false }, now);
      }
      return { domain: { ...domain, memberCount, keyRolloverRequired: false }, keys, rolledOver };
    }));
  if (rolledOver) deps.metrics.keyRollover(target.mode);

  return {
    ver: request.ver,
    domain: { name, mode: domain.mode, serverUrl },
    member: { guid: request.machine.guid, members: domain.memberCount, maxMembership: domain.maxMembership },
    credentials: await deps.keys.credentials(domain.id, keys, request.machine.publicPoint),
  };
}

/**
 * The common case without a lock: a member re-joining a domain that needs no new key and no new
 * certificate changes only its last-seen time (DomainStore.rejoinWithoutLock). Anything else (a new
 * member, a refusal, a due rollover or certificate) answers undefined and takes the locked path,
 * which also decides the error, so refusals keep the order of docs/domain-protocol.md §8.1 and
 * change nothing.
 */
async function rejoin(deps: DomainDeps, request: DomainRequest, mode: DomainRecord['mode'], name: string) {
  if (request.dn !== undefined && request.dn !== name) return undefined;
  const now = Date.now();
  const rejoined = await deps.store.rejoinWithoutLock(deps.storage.db, {
    mode,
    name,
    guid: request.machine.guid,
    mid: request.mid,
    now,
    since: now - deps.replayWindowMs,
    windowStart: deps.keys.windowStart(now),
    auth: request.auth,
    components: request.machine.components,
    label: request.label,
  });
  return rejoined && { ...rejoined, rolledOver: false };
}

async function lockOrCreate(
  deps: DomainDeps,
  trx: Kysely<Database>,
  mode: DomainRecord['mode'],
  name: string,
  guid: string,
  now: number,
) {
  const existing = await deps.store.lockDomain(trx, mode, name);
  if (existing) return existing;
  await deps.limits.creation(trx, now);
  const defaults = deps.defaults[mode];
  const policy = { ...defaults, authNamespace: null, disabled: false };
  const inserted = await deps.store.createDomain(trx, mode, name, policy, now);
  const created = await deps.store.lockDomain(trx, mode, name);
  if (!created) throw new Error(`domain ${mode}/${name} vanished after insert`);
  // A concurrent first join may have created it (PostgreSQL): that join records the creation.
  if (inserted) await recordEvent(trx, created.id, { kind: 'created', actor: device(guid) }, now);
  return created;
}

/**
 * Admits the machine: returns the new member count, and whether a machine lost its last
 * registration (and its slot) on the way. Anonymous domains count registrations (machine GUIDs);
 * identity domains count physical machines, found with machine matching, and keep one
 * registration row per GUID on a machine (the RI's reference count).
 *
 * Identity mode compares machine IDs first, as the RI does, also for a GUID it knows: a member
 * re-joins only from a machine that matches the one its registration is on. The same GUID on
 * other hardware is that hardware joining: it takes the slot of the member machine it matches,
 * or a new slot (DOM_LIMIT_REACHED when the domain is full), and its registration moves there, so
 * its later leave works. The machine it moved from, left without a registration, is released as
 * a leave would release it (docs/domain-server.md, "Join").
 */
async function admit(
  deps: DomainDeps,
  trx: Kysely<Database>,
  domain: DomainRecord,
  request: DomainRequest,
  now: number,
): Promise<{ memberCount: number; released: boolean }> {
  const { guid, components } = request.machine;
  const identity = domain.mode === 'identity';
  const existing = await deps.store.findRegistration(trx, domain.id, guid);
  if (existing && (!identity || machinesMatch(existing.components, components))) {
    await deps.store.touch(trx, domain.id, existing, now, request.label);
    return { memberCount: domain.memberCount, released: false };
  }

  let memberCount = domain.memberCount;
  let released = false;
  let machineRow: number | undefined;
  if (identity) {
    const machines = await deps.store.listMachines(trx, domain.id);
    machineRow = machines.find((machine) => machinesMatch(machine.components, components))?.id;
  }
  if (machineRow === undefined) {
    if (domain.maxMembership !== null && memberCount >= domain.maxMembership) {
      if (!(await evictStalest(deps, trx, { ...domain, memberCount }, guid, existing?.machineRow, now))) {
        throw new DomainError('DOM_LIMIT_REACHED', `this domain is limited to ${domain.maxMembership} machines`);
      }
      memberCount--;
      released = true;
    }
    await deps.limits.membership(trx, now);
    machineRow = await deps.store.addMachine(trx, domain.id, components, now);
    memberCount++;
  } else if (!existing) {
    await deps.limits.membership(trx, now);
  }

  const actor = device(guid);
  if (!existing) {
    await deps.store.addRegistration(trx, domain.id, { guid, machineRow, label: request.label }, now);
    await forgetFormerMember(trx, domain.id, guid);
    await recordEvent(trx, domain.id, { kind: 'joined', actor, subject: guid }, now);
    return { memberCount, released };
  }
  await deps.store.moveRegistration(trx, domain.id, guid, machineRow, now);
  const movedOff = (await deps.store.countRegistrationsOnMachine(trx, existing.machineRow)) === 0;
  if (movedOff) await deps.store.deleteMachine(trx, existing.machineRow);
  const detail = { machineReleased: movedOff };
  await recordEvent(trx, domain.id, { kind: 'moved', actor, subject: guid, detail }, now);
  return { memberCount: movedOff ? memberCount - 1 : memberCount, released: released || movedOff };
}

/**
 * A re-join (`dn` sent: the device holds this domain's credentials) of a machine that was removed
 * or evicted is told so, so that it deletes them (docs/domain-protocol.md §8.1). A join without
 * `dn` is a new join, for a former member too.
 */
async function checkStillMember(deps: DomainDeps, trx: Kysely<Database>, domain: DomainRecord, guid: string) {
  if (await deps.store.findRegistration(trx, domain.id, guid)) return;
  const former = await formerMember(trx, domain.id, guid);
  if (former) throw new DomainError('DOM_NOT_MEMBER', `this machine was ${former} from the domain`);
}

/**
 * A full domain with an `evictAfter` policy makes room by evicting its longest-unseen member
 * when that one has not been seen for longer (docs/domain-server.md, "Stale members"): the
 * eviction is a committed leave of every registration on that machine (slot freed, key rollover
 * set), recorded as `evicted` with the joining device as actor. Never the joiner's own machine
 * (`except`). Answers whether it evicted one; runs under the domain's lock, so the member limit
 * holds across processes as it does for joins.
 */
async function evictStalest(
  deps: DomainDeps,
  trx: Kysely<Database>,
  domain: DomainRecord,
  joiner: string,
  except: number | undefined,
  now: number,
): Promise<boolean> {
  if (domain.evictAfterS === null) return false;
  const stalest = await deps.store.stalestMachine(trx, domain, now - domain.evictAfterS * 1000, except);
  if (!stalest) return false;
  const guids = await deps.store.releaseMachine(trx, domain, stalest.machineRow, now);
  await markFormerMembers(trx, domain.id, guids, 'evicted', now);
  const detail = { lastSeen: new Date(stalest.lastSeen).toISOString(), machineReleased: true };
  for (const guid of guids) {
    await recordEvent(trx, domain.id, { kind: 'evicted', actor: device(joiner), subject: guid, detail }, now);
  }
  return true;
}

/**
 * All key versions, after a rollover when one is due, each with a certificate of this window;
 * and whether a rollover made a new version (a new domain's first key is no rollover).
 */
async function currentKeys(
  deps: DomainDeps,
  trx: Kysely<Database>,
  domain: DomainRecord,
  serverUrl: string,
  now: number,
): Promise<{ keys: KeyRecord[]; rolledOver: boolean }> {
  const stored = await listKeys(trx, domain.id);
  // Versions past the key retention are destroyed rather than delivered (§10.3).
  const keys = retainedKeys(stored, domain.keyRetentionS, now);
  await deleteKeys(
    trx,
    domain.id,
    stored.filter((key) => !keys.includes(key)).map((key) => key.version),
  );
  const rolledOver = keys.length > 0 && domain.keyRolloverRequired;
  if (keys.length === 0 || rolledOver) {
    const next = deps.keys.generate(domain.id, (keys.at(-1)?.version ?? 0) + 1, now);
    await addKey(trx, domain.id, next);
    keys.push(next);
  }
  const current: KeyRecord[] = [];
  for (const key of keys) {
    if (!deps.keys.isStale(key, now)) {
      current.push(key);
      continue;
    }
    const certified = await deps.keys.certify(domain, serverUrl, key, now);
    await saveCertificate(trx, domain.id, key.version, certified.certificate, certified.certificateNotBefore);
    current.push(certified);
  }
  return { keys: current, rolledOver };
}
