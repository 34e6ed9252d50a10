/**
 * Profiles (pass-api.md §4): the result of a successful MVPD login, one per client registration,
 * device, service provider and MVPD. What later MVPD round trips need (the entitlements, the ID
 * token or the SAML NameID and SessionIndex for logout) is sealed; expired profiles are never answered.
 */
import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { Sealer } from '../../platform/crypto/sealing.js';
import { type PreparedQuery, prepared } from '../../platform/storage/prepared.js';
import type { Database, ProfileTable } from '../../platform/storage/schema.js';
import type { SamlSession } from '../mvpd/saml/saml-session.js';

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

export interface ProfileKey {
  clientId: string;
  deviceId: string;
  serviceProviderId: string;
}

type Row = Selectable<ProfileTable>;
type ByMvpd = [clientId: string, deviceId: string, serviceProviderId: string, mvpdId: string];

export class ProfileStore {
  /** Every decision and logout reads or takes one profile: compiled once. */
  readonly #find: PreparedQuery<ByMvpd, Row>;
  readonly #take: PreparedQuery<ByMvpd, Row>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: Sealer,
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
      upstream: JSON.parse(this.sealer.open(row.sealed_upstream, label(row.id)).toString('utf8')) as UpstreamSession,
      notBefore: Number(row.not_before),
      notAfter: Number(row.not_after),
    };
  }
}

const label = (profileId: string) => `profile-upstream:${profileId}`;

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
