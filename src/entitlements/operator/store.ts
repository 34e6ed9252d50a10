/**
 * Storage of the operator model: service providers, MVPDs, integrations and registered
 * applications. An OIDC MVPD's client secret is sealed under the master key (a SAML connection
 * holds nothing secret: the IdP's entity id, endpoints and certificates).
 *
 * Every app request reads this model and an operator seldom changes it, so the reads of single
 * rows are answered from shared caches (platform/storage/shared-cache.ts): every write
 * announces itself as it commits, which empties them in every process.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Sealer } from '../../platform/crypto/sealing.js';
import type { Storage } from '../../platform/storage/database.js';
import type { ApplicationTable, Database, MvpdTable } from '../../platform/storage/schema.js';
import { SharedCache, writeShared } from '../../platform/storage/shared-cache.js';
import type { Application, Integration, Mvpd, MvpdConnection, OidcConnection, ServiceProvider } from './model.js';
import { decodeCursor, PAGE_SIZE, type Page, type PageRequest, pageOf } from './paging.js';

type Db = Kysely<Database>;
type ActiveMvpd = Pick<Mvpd, 'id' | 'displayName' | 'logoUrl'>;

export class OperatorStore {
  readonly #db: Db;
  readonly #cached;

  constructor(
    private readonly storage: Storage,
    private readonly sealer: Sealer,
  ) {
    this.#db = storage.db;
    this.#cached = {
      serviceProviders: new SharedCache<ServiceProvider>(storage),
      mvpds: new SharedCache<Mvpd>(storage),
      mvpdsOf: new SharedCache<{ mvpd: Mvpd; active: boolean | undefined }>(storage),
      activeMvpds: new SharedCache<readonly ActiveMvpd[]>(storage),
      integrations: new SharedCache<Integration>(storage),
      applications: new SharedCache<Application>(storage),
      redirectDomains: new SharedCache<readonly string[]>(storage),
    };
  }

  async listServiceProviders(): Promise<ServiceProvider[]> {
    const rows = await this.#db.selectFrom('service_providers').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, displayName: row.display_name }));
  }

  /** A page of service providers, by id (paging.ts). */
  pageServiceProviders(request: PageRequest): Promise<Page<ServiceProvider>> {
    return this.#pageById('service_providers', request, (row) => ({ id: row.id, displayName: row.display_name }));
  }

  serviceProvider(id: string): Promise<ServiceProvider | undefined> {
    return this.#cached.serviceProviders.get(id, async () => {
      const row = await this.#db.selectFrom('service_providers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && { id: row.id, displayName: row.display_name };
    });
  }

  /**
   * Creates or updates; answers whether it was created. As every put here: the insert does
   * nothing on a conflict (on PostgreSQL, after waiting for a concurrent insert of the same key
   * to commit), and then the row is updated, so of concurrent creates only one answers created.
   */
  putServiceProvider(sp: ServiceProvider): Promise<boolean> {
    const now = Date.now();
    return writeShared(this.storage, async (trx) => {
      const created = await trx
        .insertInto('service_providers')
        .values({ id: sp.id, display_name: sp.displayName, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (created) return true;
      await trx
        .updateTable('service_providers')
        .set({ display_name: sp.displayName, updated_at: now })
        .where('id', '=', sp.id)
        .execute();
      return false;
    });
  }

  deleteServiceProvider(id: string): Promise<boolean> {
    return this.#delete((trx) => trx.deleteFrom('service_providers').where('id', '=', id));
  }

  async listMvpds(): Promise<Mvpd[]> {
    const rows = await this.#db.selectFrom('mvpds').selectAll().orderBy('id').execute();
    return rows.map((row) => this.#toMvpd(row));
  }

  /** A page of MVPDs, by id (paging.ts). */
  pageMvpds(request: PageRequest): Promise<Page<Mvpd>> {
    return this.#pageById('mvpds', request, (row) => this.#toMvpd(row));
  }

  mvpd(id: string): Promise<Mvpd | undefined> {
    return this.#cached.mvpds.get(id, async () => {
      const row = await this.#db.selectFrom('mvpds').selectAll().where('id', '=', id).executeTakeFirst();
      return row && this.#toMvpd(row);
    });
  }

  /**
   * An MVPD and its integration with a service provider, in one query: `active` is undefined
   * when there is no integration.
   */
  mvpdOf(serviceProviderId: string, mvpdId: string): Promise<{ mvpd: Mvpd; active: boolean | undefined } | undefined> {
    return this.#cached.mvpdsOf.get(pairKey(serviceProviderId, mvpdId), async () => {
      const row = await this.#db
        .selectFrom('mvpds as m')
        .leftJoin('integrations as i', (join) =>
          join.onRef('i.mvpd_id', '=', 'm.id').on('i.service_provider_id', '=', serviceProviderId),
        )
        .selectAll('m')
        .select('i.active')
        .where('m.id', '=', mvpdId)
        .executeTakeFirst();
      return row && { mvpd: this.#toMvpd(row), active: row.active === null ? undefined : row.active === 1 };
    });
  }

  putMvpd(mvpd: Mvpd): Promise<boolean> {
    const now = Date.now();
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
    return writeShared(this.storage, async (trx) => {
      const created = await trx
        .insertInto('mvpds')
        .values({ id: mvpd.id, ...values, created_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (created) return true;
      await trx.updateTable('mvpds').set(values).where('id', '=', mvpd.id).execute();
      return false;
    });
  }

  deleteMvpd(id: string): Promise<boolean> {
    return this.#delete((trx) => trx.deleteFrom('mvpds').where('id', '=', id));
  }

  /** A page of integrations, by service provider then MVPD (the primary key; paging.ts). */
  async pageIntegrations(serviceProviderId: string | undefined, request: PageRequest): Promise<Page<Integration>> {
    const limit = request.limit ?? PAGE_SIZE;
    let query = this.#db
      .selectFrom('integrations')
      .selectAll()
      .orderBy('service_provider_id')
      .orderBy('mvpd_id')
      .limit(limit + 1);
    if (serviceProviderId) query = query.where('service_provider_id', '=', serviceProviderId);
    if (request.cursor) {
      const [sp, mvpd] = decodeCursor(request.cursor, 2) as [string, string];
      query = query.where((eb) => eb(eb.refTuple('service_provider_id', 'mvpd_id'), '>', eb.tuple(sp, mvpd)));
    }
    return pageOf(
      await query.execute(),
      limit,
      (row) => [row.service_provider_id, row.mvpd_id],
      (row) => ({ serviceProviderId: row.service_provider_id, mvpdId: row.mvpd_id, active: row.active === 1 }),
    );
  }

  integration(serviceProviderId: string, mvpdId: string): Promise<Integration | undefined> {
    return this.#cached.integrations.get(pairKey(serviceProviderId, mvpdId), async () => {
      const row = await selectIntegration(this.#db, serviceProviderId, mvpdId).selectAll().executeTakeFirst();
      return row && { serviceProviderId: row.service_provider_id, mvpdId: row.mvpd_id, active: row.active === 1 };
    });
  }

  /** The MVPDs with an active integration with the service provider, by display name (no secret is opened). */
  async activeMvpds(serviceProviderId: string): Promise<readonly ActiveMvpd[]> {
    const mvpds = await this.#cached.activeMvpds.get(serviceProviderId, async () => {
      const rows = await this.#db
        .selectFrom('integrations as i')
        .innerJoin('mvpds as m', 'm.id', 'i.mvpd_id')
        .select(['m.id', 'm.display_name', 'm.logo_url'])
        .where('i.service_provider_id', '=', serviceProviderId)
        .where('i.active', '=', 1)
        .orderBy('m.display_name')
        .orderBy('m.id')
        .execute();
      return rows.map((row) => ({ id: row.id, displayName: row.display_name, logoUrl: row.logo_url }));
    });
    return mvpds ?? [];
  }

  putIntegration(integration: Integration): Promise<boolean> {
    const now = Date.now();
    const active = integration.active ? 1 : 0;
    return writeShared(this.storage, async (trx) => {
      const created = await trx
        .insertInto('integrations')
        .values({
          service_provider_id: integration.serviceProviderId,
          mvpd_id: integration.mvpdId,
          active,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['service_provider_id', 'mvpd_id']).doNothing())
        .returning('mvpd_id')
        .executeTakeFirst();
      if (created) return true;
      await trx
        .updateTable('integrations')
        .set({ active, updated_at: now })
        .where('service_provider_id', '=', integration.serviceProviderId)
        .where('mvpd_id', '=', integration.mvpdId)
        .execute();
      return false;
    });
  }

  deleteIntegration(serviceProviderId: string, mvpdId: string): Promise<boolean> {
    return this.#delete((trx) =>
      trx.deleteFrom('integrations').where('service_provider_id', '=', serviceProviderId).where('mvpd_id', '=', mvpdId),
    );
  }

  /** A page of applications, by id (paging.ts). */
  pageApplications(request: PageRequest): Promise<Page<Application>> {
    return this.#pageById('applications', request, toApplication);
  }

  application(id: string): Promise<Application | undefined> {
    return this.#cached.applications.get(id, async () => {
      const row = await this.#db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toApplication(row);
    });
  }

  /** Every redirect domain of every application: the origins CORS allows (api/cors.ts). */
  async redirectDomains(): Promise<readonly string[]> {
    const domains = await this.#cached.redirectDomains.get('all', async () => {
      const rows = await this.#db.selectFrom('applications').select('redirect_domains').execute();
      return [...new Set(rows.flatMap((row) => JSON.parse(row.redirect_domains) as string[]))];
    });
    return domains ?? [];
  }

  /** Creates an application (with a fresh software statement id) or updates its settings. */
  putApplication(
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
    return writeShared(this.storage, async (trx) => {
      const created = await trx
        .insertInto('applications')
        .values({ id: application.id, ...values, statement_id: randomUUID(), created_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (created) return { created: true, application: toApplication(created) };
      const updated = await trx
        .updateTable('applications')
        .set(values)
        .where('id', '=', application.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { created: false, application: toApplication(updated) };
    });
  }

  /** A new software statement id: the old statement and every client registered with it stop working. */
  rotateStatement(id: string): Promise<Application | undefined> {
    return writeShared(this.storage, async (trx) => {
      const row = await trx
        .updateTable('applications')
        .set({ statement_id: randomUUID(), updated_at: Date.now() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toApplication(row);
    });
  }

  deleteApplication(id: string): Promise<boolean> {
    return this.#delete((trx) => trx.deleteFrom('applications').where('id', '=', id));
  }

  /** One delete as a shared write; answers whether it removed a row. */
  async #delete(query: (trx: Db) => { executeTakeFirst(): Promise<{ numDeletedRows: bigint }> }): Promise<boolean> {
    const result = await writeShared(this.storage, (trx) => query(trx).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }

  /** A page of a table keyed by `id`, in id order (paging.ts). */
  async #pageById<T extends 'service_providers' | 'mvpds' | 'applications', V>(
    table: T,
    request: PageRequest,
    view: (row: Selectable<Database[T]>) => V,
  ): Promise<Page<V>> {
    const limit = request.limit ?? PAGE_SIZE;
    const after = request.cursor === undefined ? undefined : (decodeCursor(request.cursor, 1)[0] as string);
    const rows = (await this.#db
      .selectFrom(table as 'service_providers')
      .selectAll()
      .$if(after !== undefined, (query) => query.where('id', '>', after as string))
      .orderBy('id')
      .limit(limit + 1)
      .execute()) as Selectable<Database[T]>[];
    return pageOf(rows, limit, (row) => [(row as { id: string }).id], view);
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

/** An unambiguous cache key of two ids. */
const pairKey = (first: string, second: string) => `${first.length}:${first}${second}`;

const selectIntegration = (db: Db, serviceProviderId: string, mvpdId: string) =>
  db.selectFrom('integrations').where('service_provider_id', '=', serviceProviderId).where('mvpd_id', '=', mvpdId);

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
