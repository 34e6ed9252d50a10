/**
 * The domain server's records as the rest of it sees them, and how database rows become them
 * (store.ts runs the queries).
 */
import type { Selectable } from 'kysely';
import type { DomainKeyTable, DomainTable } from '../platform/storage/schema.js';

export type Mode = DomainTable['mode'];

export interface DomainRecord {
  id: number;
  mode: Mode;
  name: string;
  authRequired: boolean;
  authNamespace: string | null;
  maxMembership: number | null;
  keyRolloverRequired: boolean;
  disabled: boolean;
  memberCount: number;
  createdAt: number;
  updatedAt: number;
  /** Suspended by the operator: joins and removals refused (DOM_SUSPENDED), leaves allowed. */
  suspended: boolean;
  /** At most `removals` removals of other members per `periodS` seconds; null = unlimited. */
  removalLimit: RemovalLimit | null;
  /** A full domain evicts its longest-unseen member when unseen this long; null = never. */
  evictAfterS: number | null;
  /** Superseded key versions are delivered this long after their successor; null = for ever. */
  keyRetentionS: number | null;
}

export interface RemovalLimit {
  removals: number;
  periodS: number;
}

export interface PolicyPatch {
  authRequired?: boolean;
  authNamespace?: string | null;
  maxMembership?: number | null;
  keyRolloverRequired?: boolean;
  disabled?: boolean;
  memberCount?: number;
  suspended?: boolean;
  removalLimit?: RemovalLimit | null;
  evictAfterS?: number | null;
  keyRetentionS?: number | null;
}

export interface KeyRecord {
  version: number;
  publicKeySpki: Buffer;
  sealedPrivate: string;
  certificate: Buffer | null;
  certificateNotBefore: number | null;
  createdAt: number;
}

export interface RegistrationRecord {
  guid: string;
  machineRow: number;
  components: string[];
  firstSeen: number;
  lastSeen: number;
  label: string | null;
}

export function toDomain(row: Selectable<DomainTable>): DomainRecord {
  return {
    id: row.id,
    mode: row.mode,
    name: row.name,
    authRequired: row.auth_required === 1,
    authNamespace: row.auth_namespace,
    maxMembership: row.max_membership,
    keyRolloverRequired: row.key_rollover_required === 1,
    disabled: row.disabled === 1,
    memberCount: row.member_count,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    suspended: row.suspended === 1,
    removalLimit:
      row.removal_limit === null || row.removal_period_s === null
        ? null
        : { removals: row.removal_limit, periodS: row.removal_period_s },
    evictAfterS: row.evict_after_s,
    keyRetentionS: row.key_retention_s,
  };
}

export function toRegistration(row: {
  guid: string;
  machine_row: number;
  components: string;
  first_seen: number;
  last_seen: number;
  label: string | null;
}): RegistrationRecord {
  return {
    guid: row.guid,
    machineRow: row.machine_row,
    components: JSON.parse(row.components) as string[],
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    label: row.label,
  };
}

export function toKey(row: Omit<Selectable<DomainKeyTable>, 'domain_id'>): KeyRecord {
  return {
    version: row.version,
    publicKeySpki: Buffer.from(row.public_key, 'base64'),
    sealedPrivate: row.sealed_private,
    certificate: row.certificate === null ? null : Buffer.from(row.certificate, 'base64'),
    certificateNotBefore: row.certificate_not_before === null ? null : Number(row.certificate_not_before),
    createdAt: Number(row.created_at),
  };
}

/** The key columns of a domain-with-keys row (left join: all null when the domain has no keys). */
export type KeyColumns = {
  version: number | null;
  public_key: string | null;
  sealed_private: string | null;
  certificate: string | null;
  certificate_not_before: number | null;
  key_created_at: number | null;
};

/** The key of a domain-with-keys row, none when the domain has no keys. */
export function keyOf(row: KeyColumns): KeyRecord[] {
  return row.version === null || row.public_key === null || row.sealed_private === null || row.key_created_at === null
    ? []
    : [
        toKey({
          version: row.version,
          public_key: row.public_key,
          sealed_private: row.sealed_private,
          certificate: row.certificate,
          certificate_not_before: row.certificate_not_before,
          created_at: row.key_created_at,
        }),
      ];
}
