/**
 * The typed shape of every table, shared by both dialects.
 *
 * Portable column types keep one codebase for SQLite and PostgreSQL: flags are integers 0/1,
 * times are epoch milliseconds (bigint), JSON and binary values are text.
 */
import type { Generated } from 'kysely';

export interface Database {
  server_keys: ServerKeyTable;
  domains: DomainTable;
  domain_keys: DomainKeyTable;
  domain_machines: DomainMachineTable;
  domain_registrations: DomainRegistrationTable;
  seen_messages: SeenMessageTable;
}

/** Long-lived server keys (Domain CA, individualization, local token issuer), sealed at rest. */
export interface ServerKeyTable {
  name: string;
  /** Public part: a JWK or a PEM certificate chain, as JSON text. */
  public_data: string;
  /** Private key, sealed with the master key. */
  sealed_private: string;
  created_at: number;
}

/** One row per domain: its policy (the RI's DomainServerInfo) and its member counter. */
export interface DomainTable {
  id: Generated<number>;
  mode: 'anonymous' | 'identity';
  name: string;
  auth_required: number;
  auth_namespace: string | null;
  max_membership: number | null;
  key_rollover_required: number;
  disabled: number;
  /** Machines holding a slot; kept in step inside the join/leave transaction. */
  member_count: number;
  created_at: number;
  updated_at: number;
}

/** Every key pair a domain ever had (the RI's DomainKeys). */
export interface DomainKeyTable {
  domain_id: number;
  version: number;
  /** SubjectPublicKeyInfo DER, base64. */
  public_key: string;
  sealed_private: string;
  /** Cached domain certificate (DER, base64) and the start of its validity window. */
  certificate: string | null;
  certificate_not_before: number | null;
  created_at: number;
}

/**
 * A slot of a domain: one physical machine (identity mode, found with machine matching) or
 * one registration (anonymous mode, by GUID).
 */
export interface DomainMachineTable {
  id: Generated<number>;
  domain_id: number;
  /** The machine ID: JSON array of component digests. */
  components: string;
  /** When the slot was taken; last-seen times are kept per registration. */
  first_seen: number;
}

/** One registration (machine GUID) on a slot; the RI's UserDomainRefCount / DomainMembership. */
export interface DomainRegistrationTable {
  domain_id: number;
  guid: string;
  machine_row: number;
  first_seen: number;
  last_seen: number;
}

/** Message ids of accepted requests, kept for the replay window. */
export interface SeenMessageTable {
  guid: string;
  mid: string;
  seen_at: number;
}

