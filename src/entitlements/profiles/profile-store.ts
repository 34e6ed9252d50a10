/**
 * Profiles (docs/entitlement-api.md, "5. Sign the viewer in"): the result of a successful MVPD
 * login, one per client registration, device, service provider and MVPD. What later MVPD round
 * trips need (the entitlements, the ID token or the SAML NameID and SessionIndex for logout) is
 * sealed; expired profiles are never answered.
 */
import { randomUUID } from 'node:crypto';
import {
  type ExpressionBuilder,
  type Kysely,
  type QueryCreator,
  type Selectable,
  type SelectQueryBuilder,
  sql,
} from 'kysely';
import type { Sealer } from '../../platform/crypto/sealing.js';
import type { Dialect } from '../../platform/storage/database.js';
import { type PreparedQuery, prepared } from '../../platform/storage/prepared.js';
import type { Database, ProfileTable } from '../../platform/storage/schema.js';
import { transaction } from '../../platform/storage/transaction.js';
import { householdOf } from '../household/household-of.js';
import type { SamlSession } from '../mvpd/saml/saml-session.js';
import type { NewFlow, ProfileHandover } from '../user-agent/flow-store.js';

export interface ProfileAttribute {
  value: string | number | boolean | string[] | Record<string, unknown>;
  state: 'plain';
}

/** What only Domus sees: from the MVPD login, needed for decisions, domain tokens and logout. */
export interface UpstreamSession {
  subject: string;
  entitlements: string[];
  householdId: string | null;
  /** OIDC MVPDs: the ID token (`id_token_hint` at logout). */
  idToken: string | null;
  /** SAML MVPDs: the NameID and SessionIndex (the LogoutRequest names them). */
  saml?: SamlSession;
}

export interface Profile {
  id: string;
  clientId: string;
  deviceId: string;
  serviceProviderId: string;
  mvpdId: string;
  code: string | null;
  sessionId: string;
  attributes: Record<string, ProfileAttribute>;
  upstream: UpstreamSession;
  notBefore: number;
  notAfter: number;
}

/** A profile as the household view shows it: whose it is and when, nothing the MVPD said. */
export interface HouseholdProfile {
  serviceProviderId: string;
  deviceId: string;
  clientId: string;
  notBefore: number;
  notAfter: number;
}

export interface ProfileKey {
  clientId: string;
  deviceId: string;
  serviceProviderId: string;
}

type Row = Selectable<ProfileTable>;
type ByMvpd = [clientId: string, deviceId: string, serviceProviderId: string, mvpdId: string];
type Handover = [...ByMvpd, state: string, sealedData: string, expiresAt: number, now: number];

export class ProfileStore {
  /** Every decision and logout reads or takes one profile: compiled once. */
  readonly #find: PreparedQuery<ByMvpd, Row>;
  readonly #take: PreparedQuery<ByMvpd, Row>;
  /** PostgreSQL: the take and the pending logout's insert, in one statement. */
  readonly #takeIntoLogout: PreparedQuery<Handover, Row>;
  /** SQLite (no writes in WITH): the pending logout's insert, run before the take in one transaction. */
  readonly #handOver: PreparedQuery<Handover, unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: Sealer,
    private readonly dialect: Dialect,
  ) {
    this.#find = prepared(db, 4, (q, clientId, deviceId, serviceProviderId, mvpdId) =>
      q
        .selectFrom('profiles')
        .selectAll()
        .where((eb) => byMvpd(eb, clientId, deviceId, serviceProviderId, mvpdId)),
    );
    this.#take = prepared(db, 4, (q, clientId, deviceId, serviceProviderId, mvpdId) =>
      q
        .deleteFrom('profiles')
        .where((eb) => byMvpd(eb, clientId, deviceId, serviceProviderId, mvpdId))
        .returningAll(),
    );
    this.#takeIntoLogout = prepared(db, 8, (q, clientId, deviceId, serviceProviderId, mvpdId, ...flow) =>
      q
        .with('taken', (w) =>
          w
            .deleteFrom('profiles')
            .where((eb) => byMvpd(eb, clientId, deviceId, serviceProviderId, mvpdId))
            .returningAll(),
        )
        .with('pending', (w) => insertHandover(w, w.selectFrom('taken'), ...flow))
        .selectFrom('taken')
        .selectAll(),
    );
    this.#handOver = prepared(db, 8, (q, clientId, deviceId, serviceProviderId, mvpdId, ...flow) =>
      insertHandover(
        q,
        q.selectFrom('profiles').where((eb) => byMvpd(eb, clientId, deviceId, serviceProviderId, mvpdId)),
        ...flow,
      ),
    );
  }

  /** Stores the profile of a login, replacing an earlier one of the same key and MVPD. */
  async save(input: Omit<Profile, 'id'>): Promise<Profile> {
    const profile: Profile = { ...input, id: randomUUID() };
    const values = {
      id: profile.id,
      code: profile.code,
      session_id: profile.sessionId,
      attributes: JSON.stringify(profile.attributes),
      sealed_upstream: this.sealer.seal(Buffer.from(JSON.stringify(profile.upstream)), label(profile.id)),
      not_before: profile.notBefore,
      not_after: profile.notAfter,
      // Plain, not a keyed hash: the operator looks a household up by the id a support call gives,
      // the console shows it, and it is no more secret than what is already plain beside it (the
      // user id in `attributes`) or in the identity domain's name (`{nq}:{household}`). A hash
      // would hide nothing those do not already show, and would break with a rotated key.
      household: householdOf(profile.upstream),
    };
    await this.db
      .insertInto('profiles')
      .values({
        ...values,
        client_id: profile.clientId,
        device_id: profile.deviceId,
        service_provider_id: profile.serviceProviderId,
        mvpd_id: profile.mvpdId,
      })
      .onConflict((oc) => oc.columns(['client_id', 'device_id', 'service_provider_id', 'mvpd_id']).doUpdateSet(values))
      .execute();
    return profile;
  }

  /** Every unexpired profile of a client, device and service provider. */
  async list(key: ProfileKey, now = Date.now()): Promise<Profile[]> {
    const rows = await this.db
      .selectFrom('profiles')
      .selectAll()
      .where('client_id', '=', key.clientId)
      .where('device_id', '=', key.deviceId)
      .where('service_provider_id', '=', key.serviceProviderId)
      .where('not_after', '>', now)
      .orderBy('mvpd_id')
      .execute();
    return rows.map((row) => this.#toProfile(row));
  }

  /**
   * The unexpired profiles of one household at one MVPD, newest first, at most `limit` (the
   * household view; profiles stored before the `household` column are not found).
   */
  async listByHousehold(
    mvpdId: string,
    household: string,
    limit: number,
    now = Date.now(),
  ): Promise<HouseholdProfile[]> {
    const rows = await this.db
      .selectFrom('profiles')
      .select(['service_provider_id', 'device_id', 'client_id', 'not_before', 'not_after'])
      .where('mvpd_id', '=', mvpdId)
      .where('household', '=', household)
      .where('not_after', '>', now)
      .orderBy('not_before', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      serviceProviderId: row.service_provider_id,
      deviceId: row.device_id,
      clientId: row.client_id,
      notBefore: Number(row.not_before),
      notAfter: Number(row.not_after),
    }));
  }

  /** The profile for one MVPD, expired or not (callers tell missing from expired). */
  async find(key: ProfileKey, mvpdId: string): Promise<Profile | undefined> {
    const [row] = await this.#find.run(key.clientId, key.deviceId, key.serviceProviderId, mvpdId);
    return row && this.#toProfile(row);
  }

  /**
   * Deletes the profile for one MVPD and answers what it held (expired or not), in one
   * statement: of two concurrent takes, only one gets it.
   */
  async take(key: ProfileKey, mvpdId: string): Promise<Profile | undefined> {
    const [row] = await this.#take.run(key.clientId, key.deviceId, key.serviceProviderId, mvpdId);
    return row && this.#toProfile(row);
  }

  /**
   * Logout's one write (docs/entitlement-api.md, "Logout"): takes the profile for one MVPD as
   * `take` does and, when it was unexpired at `now`, stores `pending` (a logout flow sealed by
   * UserAgentFlows.begin) holding the profile's sealed upstream session as it is. Both or neither:
   * a failure leaves the profile in place, never deleted without its pending logout.
   */
  async takeForLogout(
    key: ProfileKey,
    mvpdId: string,
    pending: NewFlow<'logout'>,
    now: number,
  ): Promise<Profile | undefined> {
    const args: Handover = [
      key.clientId,
      key.deviceId,
      key.serviceProviderId,
      mvpdId,
      pending.state,
      pending.sealedData,
      pending.expiresAt,
      now,
    ];
    const [row] =
      this.dialect === 'postgres'
        ? await this.#takeIntoLogout.run(...args)
        : await transaction({ db: this.db, dialect: this.dialect }, async (trx) => {
            await this.#handOver.runOn(trx, ...args);
            return this.#take.runOn(trx, ...(args.slice(0, 4) as ByMvpd));
          });
    return row && this.#toProfile(row);
  }

  /** The upstream session a pending logout took over from its profile. */
  openHandover(handover: ProfileHandover): UpstreamSession {
    return this.#openUpstream(handover.sealedUpstream, handover.profileId);
  }

  /**
   * The unexpired profile a login with authentication code `code` produced, when it belongs to
   * `owner` (the client registration that created the session: the code alone is not enough).
   */
  async findByCode(
    code: string,
    owner: Pick<ProfileKey, 'clientId' | 'serviceProviderId'>,
    now = Date.now(),
  ): Promise<Profile | undefined> {
    const row = await this.db
      .selectFrom('profiles')
      .selectAll()
      .where('code', '=', code)
      .where('client_id', '=', owner.clientId)
      .where('service_provider_id', '=', owner.serviceProviderId)
      .where('not_after', '>', now)
      .executeTakeFirst();
    return row && this.#toProfile(row);
  }

  #openUpstream(sealed: string, profileId: string): UpstreamSession {
    return JSON.parse(this.sealer.open(sealed, label(profileId)).toString('utf8')) as UpstreamSession;
  }

  #toProfile(row: Row): Profile {
    return {
      id: row.id,
      clientId: row.client_id,
      deviceId: row.device_id,
      serviceProviderId: row.service_provider_id,
      mvpdId: row.mvpd_id,
      code: row.code,
      sessionId: row.session_id,
      attributes: JSON.parse(row.attributes) as Record<string, ProfileAttribute>,
      upstream: this.#openUpstream(row.sealed_upstream, row.id),
      notBefore: Number(row.not_before),
      notAfter: Number(row.not_after),
    };
  }
}

const label = (profileId: string) => `profile-upstream:${profileId}`;

/**
 * `INSERT INTO user_agent_flows … SELECT` of a pending logout from `source` (the profile about to
 * be deleted, or the one just deleted) when it is unexpired at `now`. Bound values in the select
 * list are cast to their columns' types: PostgreSQL cannot infer them there.
 */
function insertHandover<DB extends Database, TB extends keyof DB, O>(
  q: Pick<QueryCreator<Database>, 'insertInto'>,
  source: SelectQueryBuilder<DB, TB, O>,
  state: string,
  sealedData: string,
  expiresAt: number,
  now: number,
) {
  const profiles = source as unknown as SelectQueryBuilder<Database, 'profiles', object>;
  return q
    .insertInto('user_agent_flows')
    .columns(['state', 'kind', 'sealed_data', 'expires_at', 'profile_id', 'sealed_upstream'])
    .expression(
      profiles
        .select([
          sql<string>`cast(${state} as text)`.as('state'),
          sql<'logout'>`'logout'`.as('kind'),
          sql<string>`cast(${sealedData} as text)`.as('sealed_data'),
          sql<number>`cast(${expiresAt} as bigint)`.as('expires_at'),
          'id',
          'sealed_upstream',
        ])
        .where('not_after', '>', now),
    );
}

function byMvpd(
  eb: ExpressionBuilder<Database, 'profiles'>,
  clientId: string,
  deviceId: string,
  serviceProviderId: string,
  mvpdId: string,
) {
  return eb.and([
    eb('client_id', '=', clientId),
    eb('device_id', '=', deviceId),
    eb('service_provider_id', '=', serviceProviderId),
    eb('mvpd_id', '=', mvpdId),
  ]);
}
