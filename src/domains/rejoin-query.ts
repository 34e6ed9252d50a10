/**
 * The lock-free re-join's decision (join.ts, DomainStore.rejoinWithoutLock): what it knows, the
 * rule in TypeScript (SQLite) and the same rule as one PostgreSQL statement, and which key versions
 * a domain still delivers.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, DomainTable } from '../platform/storage/schema.js';
import type { AuthClaims } from '../platform/tokens/auth-tokens.js';
import { DomainError } from './errors.js';
import { machinesMatch } from './machine-id.js';
import { authenticationProblem } from './policy.js';
import {
  type DomainRecord,
  type KeyColumns,
  type KeyRecord,
  keyOf,
  type Mode,
  type RegistrationRecord,
  toDomain,
} from './records.js';

type Db = Kysely<Database>;

/**
 * A member's last-seen time is written at most this often: a request of a member seen less than
 * this long ago writes nothing for it (docs/domain-server.md, "Stale members").
 */
export const LAST_SEEN_RESOLUTION_MS = 5 * 60_000;

/** What a lock-free re-join knows before it reads anything. */
export interface RejoinAttempt {
  mode: Mode;
  name: string;
  guid: string;
  mid: string;
  now: number;
  /** Message ids recorded before this are forgotten. */
  since: number;
  /** Start of the current certificate window: every key must be certified for it. */
  windowStart: number;
  /** The request's auth token, when it verified. */
  auth: AuthClaims | undefined;
  /** The request's machine ID: an identity member re-joins only from a machine that matches its own. */
  components: string[];
  /** The label the request gives; a new one is written on the locked path. */
  label: string | undefined;
}

/**
 * The key versions a domain still delivers: the newest, and each older one until its successor is
 * older than the domain's key retention (docs/domain-protocol.md §10.3). `keys` ascend by version.
 */
export function retainedKeys<K extends { createdAt: number }>(keys: K[], retentionS: number | null, now: number): K[] {
  if (retentionS === null) return keys;
  return keys.filter((_key, i) => {
    const successor = keys[i + 1];
    return successor === undefined || successor.createdAt + retentionS * 1000 > now;
  });
}

/**
 * A re-join needs no lock when the machine is a member (in identity mode, from a machine that
 * matches the one its registration is on), the domain is enabled with no rollover due, the auth
 * token satisfies its policy (only a domain that requires authentication looks at it), and every
 * key version (at least one) has a certificate of the current window. rejoinInOneStatement asks
 * the same in SQL.
 */
export function rejoinAllowed(
  found: { domain: DomainRecord; registration: RegistrationRecord | undefined; keys: KeyRecord[] },
  attempt: RejoinAttempt,
): boolean {
  const { domain, registration, keys } = found;
  return (
    registration !== undefined &&
    (domain.mode === 'anonymous' || machinesMatch(registration.components, attempt.components)) &&
    (attempt.label === undefined || attempt.label === registration.label) &&
    !domain.suspended &&
    !domain.disabled &&
    !domain.keyRolloverRequired &&
    authenticationProblem(domain, attempt) === undefined &&
    keys.length > 0 &&
    keys.every((key) => key.certificate !== null && key.certificateNotBefore === attempt.windowStart)
  );
}

/**
 * PostgreSQL: rejoinAllowed, the message id and the last-seen time in one statement. In identity
 * mode the machine match is machinesMatch in SQL: the stored machine ID and the request's share
 * at least ⌈2/3 × the shorter list⌉ distinct components, ⌈2n/3⌉ being (2n + 2) / 3 in integers.
 */
export async function rejoinInOneStatement(db: Db, a: RejoinAttempt) {
  const namespace = a.auth?.namespace ?? null;
  const { rows } = await sql<Selectable<DomainTable> & KeyColumns & { allowed: number; recorded: number }>`
    with d as (
      select * from domains where mode = ${a.mode} and name = ${a.name}
    ), k as (
      -- the versions still delivered: the newest, and the older ones within the key retention
      select * from (
        select dk.*, lead(dk.created_at) over (order by dk.version) as superseded_at
        from domain_keys dk where dk.domain_id = (select id from d)
      ) versions
      where superseded_at is null or (select key_retention_s from d) is null
        or superseded_at + (select key_retention_s from d) * 1000 > ${a.now}
    ), allowed as (
      select 1 from d
      where case when d.mode = 'anonymous'
          then exists (select 1 from domain_registrations where domain_id = d.id and guid = ${a.guid})
          else exists (
            select 1 from domain_registrations r join domain_machines m on m.id = r.machine_row
            where r.domain_id = d.id and r.guid = ${a.guid}
              and (select count(distinct c) from jsonb_array_elements_text(m.components::jsonb) as c
                   where c = any(${a.components}::text[]))
                >= (2 * least(jsonb_array_length(m.components::jsonb), cardinality(${a.components}::text[])) + 2) / 3
          )
        end
        and (${a.label ?? null}::text is null or exists (
          select 1 from domain_registrations where domain_id = d.id and guid = ${a.guid} and label = ${a.label ?? null}
        ))
        and d.suspended = 0 and d.disabled = 0 and d.key_rollover_required = 0
        and (d.auth_required = 0
          or (${namespace}::text is not null and (d.auth_namespace is null or d.auth_namespace = ${namespace})))
        and exists (select 1 from k)
        and not exists (
          select 1 from k where certificate is null or certificate_not_before is distinct from ${a.windowStart}
        )
    ), recorded as (
      insert into seen_messages (guid, mid, seen_at)
      select ${a.guid}, ${a.mid}, ${a.now} where exists (select 1 from allowed)
      on conflict (guid, mid) do update set seen_at = excluded.seen_at where seen_messages.seen_at < ${a.since}
      returning 1
    ), touched as (
      update domain_registrations set last_seen = ${a.now}
      where domain_id = (select id from d) and guid = ${a.guid} and exists (select 1 from recorded)
        and last_seen <= ${a.now - LAST_SEEN_RESOLUTION_MS}
      returning 1
    )
    select d.*, k.version, k.public_key, k.sealed_private, k.certificate, k.certificate_not_before,
      k.created_at as key_created_at,
      (select count(*) from allowed)::int as allowed, (select count(*) from recorded)::int as recorded
    from d left join k on true
    order by k.version`.execute(db);
  const first = rows[0];
  if (!first?.allowed) return undefined;
  if (!first.recorded) throw new DomainError('REQ_REPLAYED', 'message id was seen before');
  return { domain: toDomain(first), keys: rows.flatMap(keyOf) };
}
