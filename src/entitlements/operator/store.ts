/**
 * Storage of the operator model: service providers, MVPDs, integrations and registered
 * applications. An OIDC MVPD's client secret is sealed under the master key (a SAML connection
 * holds nothing secret: the IdP's entity id, endpoints and certificates).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Sealer } from '../../platform/crypto/sealing.js';
import type { ApplicationTable, Database, MvpdTable } from '../../platform/storage/schema.js';
import type { Application, Integration, Mvpd, MvpdConnection, OidcConnection, ServiceProvider } from './model.js';

type Db = Kysely<Database>;

export class OperatorStore {
  constructor(
    private readonly db: Db,
    private readonly sealer: Sealer,
  ) {}

  async listServiceProviders(): Promise<ServiceProvider[]> {
    const rows = await this.db.selectFrom('service_providers').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, displayName: row.display_name }));
  }

  async serviceProvider(id: string): Promise<ServiceProvider | undefined> {
    const row = await this.db.selectFrom('service_providers').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, displayName: row.display_name };
  }

  /** Creates or updates; answers whether it was created. */
  async putServiceProvider(sp: ServiceProvider): Promise<boolean> {
    const now = Date.now();
    const existed = await this.serviceProvider(sp.id);
    await this.db
      .insertInto('service_providers')
      .values({ id: sp.id, display_name: sp.displayName, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ display_name: sp.displayName, updated_at: now }))
      .execute();
    return !existed;
  }

  async deleteServiceProvider(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('service_providers').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listMvpds(): Promise<Mvpd[]> {
    const rows = await this.db.selectFrom('mvpds').selectAll().orderBy('id').execute();
    return rows.map((row) => this.#toMvpd(row));
  }

  async mvpd(id: string): Promise<Mvpd | undefined> {
    const row = await this.db.selectFrom('mvpds').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#toMvpd(row);
  }

  /**
   * An MVPD and its integration with a service provider, in one query: `active` is undefined
   * when there is no integration.
   */
  async mvpdOf(
    serviceProviderId: string,
    mvpdId: string,
  ): Promise<{ mvpd: Mvpd; active: boolean | undefined } | undefined> {
    const row = await this.db
      .selectFrom('mvpds as m')
      .leftJoin('integrations as i', (join) =>
        join.onRef('i.mvpd_id', '=', 'm.id').on('i.service_provider_id', '=', serviceProviderId),
      )
      .selectAll('m')
      .select('i.active')
      .where('m.id', '=', mvpdId)
      .executeTakeFirst();
    return row && { mvpd: this.#toMvpd(row), active: row.active === null ? undefined : row.active === 1 };
  }

  async putMvpd(mvpd: Mvpd): Promise<boolean> {
    const now = Date.now();
    const existed = await this.mvpd(mvpd.id);
    const values = {
      display_name: mvpd.displayName,
      logo_url: mvpd.logoUrl,
      protocol: mvpd.protocol,
      connection: JSON.stringify(
        mvpd.connection.kind === 'saml'
          ? mvpd.connection
          : {
              ...mvpd.connection,
              clientSecret: this.sealer.seal(Buffer.from(mvpd.connection.clientSecret), secretLabel(mvpd.id)),
            },
      ),
      has_logout_endpoint: mvpd.hasLogoutEndpoint ? 1 : 0,
      authn_ttl_s: mvpd.authnTtlS,
      authz_ttl_s: mvpd.authzTtlS,
      entitlement_claim: mvpd.entitlementClaim,
      auth_namespace: mvpd.authNamespace,
      updated_at: now,
    };
    await this.db
      .insertInto('mvpds')
      .values({ id: mvpd.id, ...values, created_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
    return !existed;
  }

  async deleteMvpd(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('mvpds').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listIntegrations(serviceProviderId?: string): Promise<Integration[]> {
    let query = this.db.selectFrom('integrations').selectAll().orderBy('service_provider_id').orderBy('mvpd_id');
    if (serviceProviderId) query = query.where('service_provider_id', '=', serviceProviderId);
    const rows = await query.execute();
    return rows.map((row) => ({
      serviceProviderId: row.service_provider_id,
      mvpdId: row.mvpd_id,
      active: row.active === 1,
    }));
  }

  async integration(serviceProviderId: string, mvpdId: string): Promise<Integration | undefined> {
    const row = await this.db
      .selectFrom('integrations')
      .selectAll()
      .where('service_provider_id', '=', serviceProviderId)
      .where('mvpd_id', '=', mvpdId)
      .executeTakeFirst();
    return row && { serviceProviderId: row.service_provider_id, mvpdId: row.mvpd_id, active: row.active === 1 };
  }

  /** The MVPDs with an active integration with the service provider, by display name (no secret is opened). */
  async activeMvpds(serviceProviderId: string): Promise<Pick<Mvpd, 'id' | 'displayName' | 'logoUrl'>[]> {
    const rows = await this.db
      .selectFrom('integrations as i')
      .innerJoin('mvpds as m', 'm.id', 'i.mvpd_id')
      .select(['m.id', 'm.display_name', 'm.logo_url'])
      .where('i.service_provider_id', '=', serviceProviderId)
      .where('i.active', '=', 1)
      .orderBy('m.display_name')
      .orderBy('m.id')
      .execute();
    return rows.map((row) => ({ id: row.id, displayName: row.display_name, logoUrl: row.logo_url }));
  }

  async putIntegration(integration: Integration): Promise<boolean> {
    const now = Date.now();
    const existed = await this.integration(integration.serviceProviderId, integration.mvpdId);
    const active = integration.active ? 1 : 0;
    await this.db
      .insertInto('integrations')
      .values({
        service_provider_id: integration.serviceProviderId,
        mvpd_id: integration.mvpdId,
        active,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['service_provider_id', 'mvpd_id']).doUpdateSet({ active, updated_at: now }))
      .execute();
    return !existed;
  }

  async deleteIntegration(serviceProviderId: string, mvpdId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('integrations')
      .where('service_provider_id', '=', serviceProviderId)
      .where('mvpd_id', '=', mvpdId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listApplications(): Promise<Application[]> {
    const rows = await this.db.selectFrom('applications').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map(toApplication);
  }

  async application(id: string): Promise<Application | undefined> {
    const row = await this.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toApplication(row);
  }

  /** Creates an application (with a fresh software statement id) or updates its settings. */
  async putApplication(
    application: Omit<Application, 'statementId'>,
  ): Promise<{ created: boolean; application: Application }> {
    const now = Date.now();
    const values = {
      name: application.name,
      service_providers: JSON.stringify(application.serviceProviders),
      redirect_domains: JSON.stringify(application.redirectDomains),
      scopes: JSON.stringify(application.scopes),
      updated_at: now,
    };
    const existed = await this.application(application.id);
    await this.db
      .insertInto('applications')
      .values({ id: application.id, ...values, statement_id: randomUUID(), created_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
    const stored = await this.application(application.id);
    if (!stored) throw new Error(`application ${application.id} vanished after insert`);
    return { created: !existed, application: stored };
  }

  /** A new software statement id: the old statement and every client registered with it stop working. */
  async rotateStatement(id: string): Promise<Application | undefined> {
    await this.db
      .updateTable('applications')
      .set({ statement_id: randomUUID(), updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
    return this.application(id);
  }

  async deleteApplication(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('applications').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  #toMvpd(row: Selectable<MvpdTable>): Mvpd {
    const stored = JSON.parse(row.connection) as MvpdConnection;
    return {
      id: row.id,
      displayName: row.display_name,
      logoUrl: row.logo_url,
      protocol: row.protocol === 'saml' ? 'saml' : 'oidc',
      connection: stored.kind === 'saml' ? stored : this.#withLazySecret(row.id, stored),
      hasLogoutEndpoint: row.has_logout_endpoint === 1,
      authnTtlS: row.authn_ttl_s,
      authzTtlS: row.authz_ttl_s,
      entitlementClaim: row.entitlement_claim,
      authNamespace: row.auth_namespace,
    };
  }

  /**
   * The OIDC client secret is unsealed when first read (by the OIDC connector), not on every
   * request that names the MVPD; not enumerable, so no serialization of an MVPD carries it.
   */
  #withLazySecret(mvpdId: string, stored: OidcConnection): OidcConnection {
    const { clientSecret: sealed, ...connection } = stored;
    let secret: string | undefined;
    Object.defineProperty(connection, 'clientSecret', {
      get: () => {
        secret ??= this.sealer.open(sealed, secretLabel(mvpdId)).toString();
        return secret;
      },
    });
    return connection as OidcConnection;
  }
}

const secretLabel = (mvpdId: string) => `mvpd-client-secret:${mvpdId}`;

export function toApplication(row: Selectable<ApplicationTable>): Application {
  return {
    id: row.id,
    name: row.name,
    serviceProviders: JSON.parse(row.service_providers) as string[],
    redirectDomains: JSON.parse(row.redirect_domains) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    statementId: row.statement_id,
  };
}
