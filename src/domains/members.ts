/**
 * The household's own operations (docs/domain-protocol.md §14, §15): a member lists the domain's
 * members and removes another one, in two phases like a leave. Both pass the member checks of a
 * leave (policy.ts, asMember); a removal also needs an unsuspended domain and a removal left
 * in the domain's limit (removal-limit.ts). A removal commits like a leave of every registration on
 * the removed member's machine (its slot freed, key rollover set), marks them former members
 * (their next call is DOM_NOT_MEMBER) and records a `removed` event for each, the remover as actor.
 */
import { type DomainRequest, MACHINE_GUID } from './envelope.js';
import { DomainError } from './errors.js';
import { device, recordEvent } from './events.js';
import { markFormerMembers } from './former-members.js';
import { asMember, checkNotSuspended, type DomainDeps, type DomainTarget } from './policy.js';
import { checkRemovalLimit, recordRemoval } from './removal-limit.js';

export interface MemberEntry {
  guid: string;
  label: string | null;
  firstSeen: string;
  lastSeen: string;
  /** Whether this entry is the requesting machine. */
  self: boolean;
}

export interface MembersAnswer {
  ver: number;
  domain: { name: string; members: number; maxMembership: number | null };
  members: MemberEntry[];
  nextCursor: string | null;
}

export type RemoveAnswer =
  | { ver: number; phase: 'preview'; domain: { name: string }; member: string; allowed: true }
  | {
      ver: number;
      phase: 'commit';
      domain: { name: string };
      member: string;
      removed: string[];
      machineReleased: true;
    };

export function listMembers(deps: DomainDeps, request: DomainRequest, target: DomainTarget): Promise<MembersAnswer> {
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  return asMember(deps, request, target, false, async (trx, domain, self, name, now) => {
    await deps.store.touch(trx, domain.id, self, now);
    const rows = await deps.store.listRegistrations(trx, domain.id, after, request.limit + 1);
    const page = rows.slice(0, request.limit);
    const last = page.at(-1);
    return {
      ver: request.ver,
      domain: { name, members: domain.memberCount, maxMembership: domain.maxMembership },
      members: page.map((row) => ({
        guid: row.guid,
        label: row.label,
        firstSeen: new Date(row.firstSeen).toISOString(),
        lastSeen: new Date(row.guid === self.guid ? Math.max(row.lastSeen, now) : row.lastSeen).toISOString(),
        self: row.guid === self.guid,
      })),
      nextCursor: rows.length > request.limit && last ? Buffer.from(last.guid).toString('base64url') : null,
    };
  });
}

export function removeMember(deps: DomainDeps, request: DomainRequest, target: DomainTarget): Promise<RemoveAnswer> {
  const member = request.member;
  if (member === undefined) throw new DomainError('REQ_MALFORMED', 'member must be the GUID of the member to remove');
  return asMember(deps, request, target, true, async (trx, domain, self, name, now) => {
    checkNotSuspended(domain);
    const removed = await deps.store.findRegistration(trx, domain.id, member);
    if (!removed) throw new DomainError('DEREG_DENIED', 'no such member of the domain');
    if (removed.machineRow === self.machineRow) {
      throw new DomainError('DEREG_DENIED', 'a member cannot remove the machine it runs on: leave instead');
    }
    await checkRemovalLimit(trx, domain, now);
    await deps.store.touch(trx, domain.id, self, now);
    if (request.phase === 'preview') {
      return { ver: request.ver, phase: 'preview', domain: { name }, member, allowed: true };
    }

    const guids = await deps.store.releaseMachine(trx, domain, removed.machineRow, now);
    await markFormerMembers(trx, domain.id, guids, 'removed', now);
    await recordRemoval(trx, domain, now);
    for (const guid of guids) {
      const detail = { machineReleased: true };
      await recordEvent(trx, domain.id, { kind: 'removed', actor: device(self.guid), subject: guid, detail }, now);
    }
    return { ver: request.ver, phase: 'commit', domain: { name }, member, removed: guids, machineReleased: true };
  });
}

function decodeCursor(cursor: string): string {
  const guid = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!MACHINE_GUID.test(guid))
    throw new DomainError('REQ_MALFORMED', 'cursor must be the nextCursor of a members answer');
  return guid;
}
