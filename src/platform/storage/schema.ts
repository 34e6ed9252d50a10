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
  domain_events: DomainEventTable;
  domain_removals: DomainRemovalTable;
  domain_former_members: DomainFormerMemberTable;
  service_providers: ServiceProviderTable;
  mvpds: MvpdTable;
  integrations: IntegrationTable;
  applications: ApplicationTable;
  client_registrations: ClientRegistrationTable;
  authentication_sessions: AuthenticationSessionTable;
  profiles: ProfileTable;
  user_agent_flows: UserAgentFlowTable;
  throttle_buckets: ThrottleBucketTable;
  oidc_payloads: OidcPayloadTable;
  activity_minutes: ActivityMinuteTable;
  console_sessions: ConsoleSessionTable;
  console_passwords: ConsolePasswordTable;
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
  /** Operator suspension: joins and removals refused, leaves allowed. */
  suspended: number;
  /** At most removal_limit removals of other members per removal_period_s seconds; null = no limit. */
  removal_limit: number | null;
  removal_period_s: number | null;
  /** A full domain evicts a member unseen for longer than this many seconds; null = never. */
  evict_after_s: number | null;
  /** Superseded key versions are delivered this many seconds after their successor; null = for ever. */
  key_retention_s: number | null;
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
  /** Updated at most once per LAST_SEEN_RESOLUTION_MS (store.ts). */
  last_seen: number;
  /** What the device called itself at join; shown to the household, never trusted. */
  label: string | null;
}

/** A removal of a member by another member, counted against the domain's removal limit. */
export interface DomainRemovalTable {
  id: Generated<number>;
  domain_id: number;
  at: number;
}

/** A machine GUID removed or evicted from a domain: answered DOM_NOT_MEMBER until it joins again. */
export interface DomainFormerMemberTable {
  domain_id: number;
  guid: string;
  at: number;
  reason: 'removed' | 'evicted';
}

/** One membership change of a domain: who did what, when (docs/domain-server.md, "Events"). */
export interface DomainEventTable {
  id: Generated<number>;
  domain_id: number;
  /** Epoch milliseconds. */
  at: number;
  kind: string;
  /** `device` (actor_guid set) or `operator`. */
  actor_kind: string;
  actor_guid: string | null;
  /** The registration (machine GUID) the change is about, when it is about one. */
  subject_guid: string | null;
  key_version: number | null;
  /** Small JSON object, or null. */
  detail: string | null;
}

/** Message ids of accepted requests, kept for the replay window. */
export interface SeenMessageTable {
  guid: string;
  mid: string;
  seen_at: number;
}

/** A service provider (Adobe: requestor): one channel or brand. */
export interface ServiceProviderTable {
  id: string;
  display_name: string;
  created_at: number;
  updated_at: number;
}

/** A pay-TV provider and how Domus talks to it. */
export interface MvpdTable {
  id: string;
  display_name: string;
  logo_url: string;
  protocol: 'oidc' | 'saml';
  /** Protocol endpoints and ids, JSON; a client secret among them is sealed. */
  connection: string;
  has_logout_endpoint: number;
  authn_ttl_s: number;
  authz_ttl_s: number;
  /** Claim of the MVPD's user info that lists the user's entitled resources. */
  entitlement_claim: string;
  /** Name qualifier of household domain tokens (docs/domain-protocol.md §6). */
  auth_namespace: string;
  created_at: number;
  updated_at: number;
}

export interface IntegrationTable {
  service_provider_id: string;
  mvpd_id: string;
  active: number;
  created_at: number;
  updated_at: number;
}

/** A registered application: what its software statement lets it register for. */
export interface ApplicationTable {
  id: string;
  name: string;
  /** JSON arrays of service provider ids, redirect domains and scopes. */
  service_providers: string;
  redirect_domains: string;
  scopes: string;
  /** The id of the one valid software statement; issuing a new one revokes the old. */
  statement_id: string;
  created_at: number;
  updated_at: number;
}

/** Client credentials from Dynamic Client Registration. */
export interface ClientRegistrationTable {
  client_id: string;
  secret_hash: string;
  application_id: string;
  statement_id: string;
  redirect_uris: string;
  created_at: number;
}

/** An authentication session: the code a primary device shows and a second screen resumes. */
export interface AuthenticationSessionTable {
  code: string;
  session_id: string;
  client_id: string;
  service_provider_id: string;
  device_id: string;
  device_info: string;
  mvpd_id: string | null;
  domain_name: string | null;
  redirect_url: string | null;
  not_before: number;
  not_after: number;
}

/** The result of a successful MVPD login, for one client, device, service provider and MVPD. */
export interface ProfileTable {
  id: string;
  client_id: string;
  device_id: string;
  service_provider_id: string;
  mvpd_id: string;
  code: string | null;
  session_id: string;
  /** JSON map of user metadata. */
  attributes: string;
  /** Sealed JSON: what later MVPD round trips need (entitlements, id token for logout). */
  sealed_upstream: string;
  not_before: number;
  not_after: number;
  /** The household its domain tokens name (household-of.ts); null for profiles older than the column. */
  household: string | null;
}

/** An MVPD login or logout in progress in a user agent, keyed by its `state`. */
export interface UserAgentFlowTable {
  state: string;
  kind: 'login' | 'logout';
  sealed_data: string;
  expires_at: number;
  /** A pending logout: the deleted profile's id and its sealed upstream session, taken over as they were. */
  profile_id: string | null;
  sealed_upstream: string | null;
}

/** Token buckets of every rate limit (platform/limits/throttle.ts), shared by every process; `key` is `<namespace>:<client>`. */
export interface ThrottleBucketTable {
  key: string;
  tokens: number;
  updated_at: number;
}

/** State of the built-in demo identity providers: one oidc-provider model instance per row. */
export interface OidcPayloadTable {
  /** The provider (MVPD id) the row belongs to. */
  namespace: string;
  /** oidc-provider's model name: Session, Interaction, Grant, AuthorizationCode, AccessToken, … */
  model: string;
  id: string;
  /** The model's payload, JSON. */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  /** Epoch milliseconds; null = no expiry. */
  expires_at: number | null;
  consumed_at: number | null;
}

/** A signed-in console session; the cookie holds the id, the table only its SHA-256. */
export interface ConsoleSessionTable {
  id_hash: string;
  /** Sent back by the console in X-CSRF-Token on every change. */
  csrf_token: string;
  /** What signed in: 'admin-token' or 'password'. */
  credential: string;
  /** For 'admin-token': a fingerprint of that token (AdminGuard.fingerprint), else ''. */
  credential_tag: Generated<string>;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

/** The operator password of the console, as an scrypt hash (`scrypt$N$r$p$salt$hash`). */
export interface ConsolePasswordTable {
  name: string;
  hash: string;
  updated_at: number;
}

/** Activity counts per minute, added to by every process (platform/ops/activity.ts). */
export interface ActivityMinuteTable {
  /** Epoch milliseconds / 60000, floored. */
  minute: number;
  /** `join`, `leave`, `remove`, `sign_in`, `logout`, `decision` or `error`. */
  kind: string;
  /** The decision's result or the error's code; '' when the kind has none. */
  code: string;
  count: number;
}
