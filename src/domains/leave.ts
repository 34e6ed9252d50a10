/**
 * Leave (de-registration) in two phases, docs/domain-protocol.md §9. Preview runs every check of
 * the commit and changes no domain state; commit runs the same checks again and records the leave,
 * so a commit after a successful preview cannot fail for a reason the preview checked.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/storage/schema.js';
import type { DomainRequest } from './envelope.js';
import { device, recordEvent } from './events.js';
import { asMember, type DomainDeps, type DomainTarget } from './policy.js';
import type { DomainRecord, RegistrationRecord } from './records.js';
import type { DomainStore } from './store.js';

export type LeaveAnswer =
  | { ver: number; phase: 'preview'; domain: { name: string }; allowed: true }
  | { ver: number; phase: 'commit'; domain: { name: string }; left: true; machineReleased: boolean };

export function leave(deps: DomainDeps, request: DomainRequest, target: DomainTarget): Promise<LeaveAnswer> {
  return asMember(deps, request, target, true, async (trx, domain, registration, name, now) => {
    if (request.phase === 'preview') {
      await deps.store.touch(trx, domain.id, registration, now);
      return { ver: request.ver, phase: 'preview', domain: { name }, allowed: true };
    }
    const machineReleased = await releaseRegistration(deps.store, trx, domain, registration, now);
    const { guid } = registration;
    await recordEvent(
      trx,
      domain.id,
      { kind: 'left', actor: device(guid), subject: guid, detail: { machineReleased } },
      now,
    );
    return { ver: request.ver, phase: 'commit', domain: { name }, left: true, machineReleased };
  });
}

/**
 * Deletes one registration; when it was the last on its machine, frees the machine's slot and
 * sets key rollover. Returns whether the slot was freed. Shared by leave and the admin API.
 */
export async function releaseRegistration(
  store: DomainStore,
  trx: Kysely<Database>,
  domain: DomainRecord,
  registration: RegistrationRecord,
  now: number,
): Promise<boolean> {
  await store.deleteRegistration(trx, domain.id, registration.guid);
  if ((await store.countRegistrationsOnMachine(trx, registration.machineRow)) > 0) return false;
  await store.deleteMachine(trx, registration.machineRow);
  await store.updateDomain(trx, domain.id, { memberCount: domain.memberCount - 1, keyRolloverRequired: true }, now);
  return true;
}
