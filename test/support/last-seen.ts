/** Moves members' last-seen times into the past, so tests see what a later request writes. */
import { LAST_SEEN_RESOLUTION_MS } from '../../src/domains/rejoin-query.js';
import type { Storage } from '../../src/platform/storage/database.js';

/** Each GUID seen `ms` earlier than recorded (by default just over the write resolution). */
export async function backdateLastSeen(storage: Storage, guids: string[], ms = LAST_SEEN_RESOLUTION_MS + 1) {
  for (const guid of guids) {
    await storage.db
      .updateTable('domain_registrations')
      .set((eb) => ({ last_seen: eb('last_seen', '-', ms), first_seen: eb('first_seen', '-', ms) }))
      .where('guid', '=', guid)
      .execute();
  }
}
