/**
 * Composition root: builds the platform (secrets, storage, keys, token issuers, HTTP server)
 * and mounts each module on it. Used by `domus serve`, the tests and the benchmarks.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { mountConsole } from './console/console-routes.js';
import { mountFrontPage } from './console/front-page.js';
import { householdDomain } from './domains/household-domain.js';
import { createDomainModule, type DomainModule } from './domains/module.js';
import { createEntitlementModule, type EntitlementModule } from './entitlements/module.js';
import { HOUSEHOLD_TOKEN_ISSUER } from './entitlements/tokens/household-tokens.js';
import type { Config } from './platform/config.js';
import { CryptoWorkers } from './platform/crypto/crypto-workers.js';
import { Sealer } from './platform/crypto/sealing.js';
import { AdminGuard } from './platform/http/admin.js';
import { createHttpServer, type HttpServer } from './platform/http/server.js';
import { KeyStore } from './platform/keys/key-store.js';
import { loadSecrets, type Secrets } from './platform/keys/secrets.js';
import { Throttle } from './platform/limits/throttle.js';
import { createLogger, type Logger } from './platform/logger.js';
import { countRequests } from './platform/metrics/http-metrics.js';
import { platformGauges } from './platform/metrics/platform-gauges.js';
import { Activity } from './platform/ops/activity.js';
import { Readiness } from './platform/ops/health.js';
import { listenerUrl } from './platform/ops/management.js';
import { mountOperations } from './platform/ops/routes.js';
import { closeListeners } from './platform/ops/shutdown.js';
import { statsRoutes } from './platform/ops/stats-routes.js';
import { openStorage, type Storage } from './platform/storage/database.js';
import { migrateToLatest, pendingMigrations } from './platform/storage/migrate.js';
import { TrustedIssuers } from './platform/tokens/auth-tokens.js';
import { readIssuersFile } from './platform/tokens/issuers-file.js';
import { LocalIssuer } from './platform/tokens/local-issuer.js';

export const VERSION: string = createRequire(import.meta.url)('../package.json').version;
export const SERVER_NAME = `Domus/${VERSION}`;
const PURGE_INTERVAL_MS = 60_000;

export interface Domus {
  config: Config;
  logger: Logger;
  secrets: Secrets;
  storage: Storage;
  keyStore: KeyStore;
  issuers: TrustedIssuers;
  localIssuer: LocalIssuer;
  domains: DomainModule;
  entitlements: EntitlementModule;
  http: HttpServer;
  /** The management listener (DOMUS_MANAGEMENT_PORT), or `http` itself when there is none. */
  management: HttpServer;
  readiness: Readiness;
  /** Activity counts shared through the database (platform/ops/activity.ts; GET /admin/v1/stats). */
  activity: Activity;
  /** The public root URL (after `listen`, with the bound port when none was configured). */
  publicRoot(): string;
  /** The management listener's root URL after `listen`, or undefined when there is none. */
  managementRoot(): string | undefined;
  listen(): Promise<string>;
  /** Runs every periodic purge once, as the timer does every minute; a failing one is logged. */
  purge(): Promise<void>;
  /**
   * Shuts down (docs/running.md, "Shutdown"): /readyz answers 503 at once, the listeners stop
   * accepting, requests in flight get DOMUS_SHUTDOWN_GRACE_S (or until `hurry` settles) to
   * finish, then the workers and the database pool close.
   */
  close(options?: { hurry?: Promise<unknown> }): Promise<void>;
}

export class PendingMigrationsError extends Error {
  override name = 'PendingMigrationsError';
}

/** Opens storage and keys without the HTTP server: what the command line's offline commands need. */
export async function openPlatform(config: Config, logger = createLogger(config.logLevel)) {
  const secrets = loadSecrets(config);
  // Only the code and message: a driver's error carries its client, with connection parameters.
  const storage = openStorage(config.database, config.dbPoolSize, (error) =>
    logger.warn(
      { code: (error as { code?: string }).code, reason: error.message },
      'database connection lost; it is replaced',
    ),
  );
  try {
    if (config.autoMigrate) {
      const applied = await migrateToLatest(storage.db);
      if (applied.length > 0) logger.info({ applied }, 'applied migrations');
    } else {
      const pending = await pendingMigrations(storage.db);
      if (pending.length > 0) {
        throw new PendingMigrationsError(`pending migrations: ${pending.join(', ')}; run "domus migrate"`);
      }
    }
    const sealer = new Sealer(secrets.masterKey);
    const keyStore = new KeyStore(storage, sealer);
    await keyStore.verifyMasterKey();
    return { secrets, storage, sealer, keyStore };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

export async function createDomus(config: Config, logger = createLogger(config.logLevel)): Promise<Domus> {
  const { secrets, storage, sealer, keyStore } = await openPlatform(config, logger);
  let boundPort = config.port;
  const publicRoot = () => config.publicUrl ?? `http://localhost:${boundPort}`;

  const issuers = new TrustedIssuers();
  for (const [issuer, keys] of readIssuersFile(config.authIssuersFile)) issuers.add(issuer, keys);
  const localIssuer = await LocalIssuer.load(keyStore, config.localIssuerId);
  if (!issuers.has(localIssuer.issuer)) issuers.add(localIssuer.issuer, [localIssuer.publicJwk]);

  const crypto = new CryptoWorkers(config.cryptoWorkers);
  // The modules count into it whether or not it is served (DOMUS_METRICS): a counter costs nanoseconds.
  const metrics = new Registry();
  // The dashboard's counts (GET /admin/v1/stats), added up across processes in the database.
  const activity = new Activity(storage.db, logger);
  activity.start();
  const domains = await createDomainModule({
    config,
    storage,
    keyStore,
    sealer,
    crypto,
    authTokens: issuers,
    publicRoot,
    metrics,
    activity,
  });
  const entitlements = await createEntitlementModule({
    config,
    storage,
    keyStore,
    sealer,
    crypto,
    publicRoot,
    logger,
    metrics,
    activity,
  });
  // Household domain tokens (docs/entitlement-api.md, "Household domain token") join identity
  // domains: the domain server trusts their key.
  issuers.add(HOUSEHOLD_TOKEN_ISSUER, [entitlements.householdTokens.publicJwk]);
  if (config.demo && (await entitlements.seedDemo())) logger.info('seeded the demo data');
  const serverOptions = { logger, trustedProxies: config.trustedProxies, version: VERSION };
  const http = await createHttpServer(serverOptions);
  // The probes and metrics (and with DOMUS_MANAGEMENT_ADMIN the admin API) on a listener of
  // their own, made like the public one (same error shapes and hooks), or on the public one.
  const management = config.managementPort === undefined ? http : await createHttpServer(serverOptions);
  if (config.metrics) {
    countRequests([http, management], metrics);
    platformGauges(metrics, { storage, crypto });
  }
  const readiness = new Readiness(storage, logger);
  mountOperations(management, { readiness, metrics: config.metrics ? metrics : null });
  const adminGuard = new AdminGuard(
    secrets.adminToken,
    config.adminAuthLimit && new Throttle(storage, 'admin-auth', config.adminAuthLimit),
  );
  const adminHttp = config.managementAdmin ? management : http;
  await domains.mount(http, SERVER_NAME);
  await domains.mountLicenseServer(http);
  await domains.mountAdmin(adminHttp, adminGuard);
  await entitlements.mount(http);
  await entitlements.mountAdmin(adminHttp, adminGuard, (namespace, household) =>
    householdDomain(domains.admin, namespace, household),
  );
  await adminHttp.register(async (scope) => statsRoutes(scope, { storage, activity, guard: adminGuard }), {
    prefix: '/admin/v1',
  });
  const operatorConsole = await mountConsole(adminHttp, { storage, guard: adminGuard });
  mountFrontPage(http, { version: VERSION, publicRoot, demo: config.demo, consoleHere: adminHttp === http });
  await Promise.all([http.ready(), management.ready()]);
  let managementPort = config.managementPort;

  const purgeOnce = async () => {
    await Promise.all([
      domains.purgeMessages().catch((error) => logger.warn({ err: error }, 'purging seen message ids failed')),
      domains.purgeLimits().catch((error) => logger.warn({ err: error }, 'purging rate-limit buckets failed')),
      domains.purgeEvents().catch((error) => logger.warn({ err: error }, 'purging domain events failed')),
      // Logged as counts only: no domain names, GUIDs or key material.
      domains.purgeKeys().then(
        (destroyed) => destroyed > 0 && logger.info({ destroyed }, 'destroyed key versions past their key retention'),
        (error) => logger.warn({ err: error }, 'destroying key versions past their retention failed'),
      ),
      domains.purgeFormerMembers().then(
        (forgotten) => forgotten > 0 && logger.info({ forgotten }, 'forgot former members past the event retention'),
        (error) => logger.warn({ err: error }, 'purging former members failed'),
      ),
      adminGuard.purge().catch((error) => logger.warn({ err: error }, 'purging admin-token buckets failed')),
      operatorConsole.sessions
        .purge()
        .catch((error) => logger.warn({ err: error }, 'purging expired console sessions failed')),
      activity.purge().catch((error) => logger.warn({ err: error }, 'purging activity counts failed')),
    ]);
  };
  const purge = setInterval(purgeOnce, PURGE_INTERVAL_MS);
  purge.unref();

  return {
    config,
    logger,
    secrets,
    storage,
    keyStore,
    issuers,
    localIssuer,
    domains,
    entitlements,
    http,
    management,
    readiness,
    activity,
    publicRoot,
    managementRoot: () => (management === http ? undefined : listenerUrl(config.managementHost, managementPort)),
    async listen() {
      await http.listen({ host: config.host, port: config.port });
      boundPort = (http.server.address() as AddressInfo).port;
      if (management !== http) {
        await management.listen({ host: config.managementHost, port: config.managementPort });
        managementPort = (management.server.address() as AddressInfo).port;
      }
      return publicRoot();
    },
    purge: purgeOnce,
    async close(options = {}) {
      readiness.shutDown();
      clearInterval(purge);
      const graceS = config.shutdownGraceS;
      const cut = await closeListeners([http, management], { graceMs: graceS * 1000, hurry: options.hurry });
      if (cut > 0) logger.warn({ connections: cut, graceS }, 'cut the connections still open after the grace period');
      await activity.close();
      await crypto.close();
      await storage.close();
    },
  };
}
