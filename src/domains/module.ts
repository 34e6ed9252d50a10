/**
 * The DRM domain server as one module: its keys, its services and its routes, built from the
 * shared platform pieces it is given.
 */

import type { Registry } from 'prom-client';
import type { Config } from '../platform/config.js';
import type { CryptoWorkers } from '../platform/crypto/crypto-workers.js';
import type { Sealer } from '../platform/crypto/sealing.js';
import type { AdminGuard } from '../platform/http/admin.js';
import type { HttpServer } from '../platform/http/server.js';
import type { KeyStore } from '../platform/keys/key-store.js';
import type { Activity } from '../platform/ops/activity.js';
import type { Storage } from '../platform/storage/database.js';
import type { AuthTokenVerifier } from '../platform/tokens/auth-tokens.js';
import { readIssuersFile } from '../platform/tokens/issuers-file.js';
import { DomainAdmin } from './admin.js';
import { DomainCa } from './domain-ca.js';
import { DomainKeys } from './domain-keys.js';
import { RequestVerifier } from './envelope.js';
import { purgeEvents } from './events.js';
import { purgeFormerMembers } from './former-members.js';
import { destroyExpiredKeys } from './key-rows.js';
import { DomainLimits, NO_LIMITS } from './limits.js';
import { MachineTokens } from './machine-tokens.js';
import { DomainMetrics } from './metrics.js';
import type { DomainDeps } from './policy.js';
import { adminRoutes } from './routes/admin-routes.js';
import { licenseServerRoutes } from './routes/license-server-routes.js';
import { protocolRoutes } from './routes/protocol-routes.js';
import { hasSeenMessage, purgeMessages } from './seen-messages.js';
import { DomainStore } from './store.js';

export interface DomainModule {
  deps: DomainDeps;
  ca: DomainCa;
  machineTokens: MachineTokens;
  admin: DomainAdmin;
  /** Mounts the device routes at the root. */
  mount(app: HttpServer, serverName: string): Promise<void>;
  /** Mounts the operator routes under /admin/v1 (on the public or the management listener). */
  mountAdmin(app: HttpServer, guard: AdminGuard): Promise<void>;
  /** Mounts the license-server view under /license-server/v1 (docs/license-servers.md). */
  mountLicenseServer(app: HttpServer): Promise<void>;
  /** Forgets message ids older than the replay window; returns how many. */
  purgeMessages(): Promise<number>;
  /** Deletes the rate-limit buckets that are full again; returns how many. */
  purgeLimits(): Promise<number>;
  /** Deletes the events older than the retention (a bounded batch); returns how many. */
  purgeEvents(): Promise<number>;
  /** Destroys the superseded key versions past their domain's key retention; returns how many. */
  purgeKeys(): Promise<number>;
  /** Forgets removed and evicted members marked longer ago than the event retention; returns how many. */
  purgeFormerMembers(): Promise<number>;
}

export async function createDomainModule(parts: {
  config: Config;
  storage: Storage;
  keyStore: KeyStore;
  sealer: Sealer;
  crypto: CryptoWorkers;
  authTokens: AuthTokenVerifier;
  publicRoot: () => string;
  /** Where the module's counters go (platform/metrics/ serves it). */
  metrics: Registry;
  /** The shared activity counts (platform/ops/activity.ts). */
  activity: Activity;
}): Promise<DomainModule> {
  const { config, storage, keyStore, sealer } = parts;
  const ca = await DomainCa.load(keyStore, { certFile: config.domainCaCertFile, keyFile: config.domainCaKeyFile });
  const machineTokens = await MachineTokens.load(
    keyStore,
    config.indivIssuerId,
    config.machineTokenTtlS,
    readIssuersFile(config.machineIssuersFile),
  );
  const store = new DomainStore(storage.dialect);
  // A message is acceptable while its iat is within ±tolerance: remember ids that long.
  const replayWindowMs = 2 * config.timestampToleranceS * 1000;
  const deps: DomainDeps = {
    storage,
    store,
    keys: new DomainKeys(ca, sealer, config.credentialLifetimeS, parts.crypto),
    defaults: { anonymous: config.anonymousDefaults, identity: config.identityDefaults },
    publicRoot: parts.publicRoot,
    replayWindowMs,
    // The protocol routes bind the limits of each request; joins of no client are not limited.
    limits: NO_LIMITS,
    metrics: new DomainMetrics(parts.metrics, parts.activity),
  };
  const limits = new DomainLimits(storage, config.domainLimits);
  const verifier = new RequestVerifier(
    machineTokens,
    parts.crypto,
    parts.authTokens,
    (guid, mid) => hasSeenMessage(storage.db, guid, mid, Date.now() - replayWindowMs),
    config.timestampToleranceS,
  );
  const admin = new DomainAdmin(deps);

  return {
    deps,
    ca,
    machineTokens,
    admin,
    async mount(app, serverName) {
      await app.register(async (scope) =>
        protocolRoutes(scope, {
          domain: deps,
          verifier,
          machineTokens,
          ca,
          toleranceSeconds: config.timestampToleranceS,
          serverName,
          limits,
        }),
      );
    },
    async mountAdmin(app, guard) {
      await app.register(async (scope) => adminRoutes(scope, { admin, guard }), { prefix: '/admin/v1' });
    },
    async mountLicenseServer(app) {
      await app.register(
        async (scope) =>
          licenseServerRoutes(scope, { storage, publicRoot: parts.publicRoot, tokens: config.licenseServerTokens }),
        { prefix: '/license-server/v1' },
      );
    },
    purgeMessages: () => purgeMessages(storage.db, Date.now() - replayWindowMs),
    purgeLimits: () => limits.purge(),
    purgeEvents: async () => {
      const retentionS = config.domainEventRetentionS;
      return retentionS === null ? 0 : purgeEvents(storage.db, Date.now() - retentionS * 1000);
    },
    purgeKeys: () => destroyExpiredKeys(storage.db, Date.now()),
    // Former-member marks are kept as long as the events that tell of their removal.
    purgeFormerMembers: async () => {
      const retentionS = config.domainEventRetentionS;
      return retentionS === null ? 0 : purgeFormerMembers(storage.db, Date.now() - retentionS * 1000);
    },
  };
}
