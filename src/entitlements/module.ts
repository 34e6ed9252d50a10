/**
 * The entitlement API (TV-Everywhere sign-in and sign-out) as one module: its operator model,
 * its keys and its routes, built from the shared platform pieces it is given.
 *
 * App-facing routes are listed in `mount` by scope (api/pass-api.ts draws the scopes): DCR
 * under /o, then the REST API V2 routes that need no token and those behind the access token.
 */

import type { Config } from '../platform/config.js';
import type { Sealer } from '../platform/crypto/sealing.js';
import type { HttpServer } from '../platform/http/server.js';
import type { KeyStore } from '../platform/keys/key-store.js';
import type { Logger } from '../platform/logger.js';
import type { Storage } from '../platform/storage/database.js';
import { CorsOrigins } from './api/cors.js';
import { mountPassApi } from './api/pass-api.js';
import { Throttle } from './api/throttle.js';
import { AccessTokens } from './dcr/access-tokens.js';
import { ClientRegistrations } from './dcr/client-registrations.js';
import { Dcr } from './dcr/dcr-service.js';
import { seedDemoData } from './demo-data.js';
import { mountDemoProviders } from './mvpd/demo/mount.js';
import { DemoUsers } from './mvpd/demo/users.js';
import { SoftwareStatements } from './operator/software-statements.js';
import { OperatorStore } from './operator/store.js';
import { configurationRoutes } from './routes/configuration-routes.js';
import { dcrRoutes } from './routes/dcr-routes.js';
import { operatorRoutes } from './routes/operator-routes.js';

export interface EntitlementModule {
  store: OperatorStore;
  statements: SoftwareStatements;
  registrations: ClientRegistrations;
  accessTokens: AccessTokens;
  /** The request throttle, or null when DOMUS_THROTTLE is off. */
  throttle: Throttle | null;
  /** Seeds the demo data into an empty database; answers whether it did. */
  seedDemo(): Promise<boolean>;
  mount(app: HttpServer, adminToken: string): Promise<void>;
}

export async function createEntitlementModule(parts: {
  config: Pick<Config, 'throttle' | 'accessTokenTtlS' | 'demoUsersFile'>;
  storage: Storage;
  keyStore: KeyStore;
  sealer: Sealer;
  publicRoot: () => string;
  logger: Logger;
}): Promise<EntitlementModule> {
  const store = new OperatorStore(parts.storage.db, parts.sealer);
  const statements = await SoftwareStatements.load(parts.keyStore);
  const registrations = new ClientRegistrations(parts.storage.db);
  const accessTokens = await AccessTokens.load(parts.keyStore, parts.config.accessTokenTtlS);
  const throttle = parts.config.throttle ? new Throttle(parts.storage, parts.config.throttle) : null;
  const dcr = new Dcr({ statements, store, registrations, tokens: accessTokens });
  const demoUsers = DemoUsers.load(parts.config.demoUsersFile);
  return {
    store,
    statements,
    registrations,
    accessTokens,
    throttle,
    seedDemo: () => seedDemoData(store),
    async mount(app, adminToken) {
      await app.register(async (scope) => operatorRoutes(scope, { store, statements, adminToken }), {
        prefix: '/admin/v1',
      });
      await mountPassApi(
        app,
        { cors: new CorsOrigins(store), throttle, context: { tokens: accessTokens, registrations, store } },
        {
          dcr: [dcrRoutes(dcr)],
          v2Public: [],
          v2Authenticated: [configurationRoutes(store)],
        },
      );
      // The built-in demo MVPDs: one OIDC provider per MVPD whose connection is `builtin`.
      await mountDemoProviders(app, {
        storage: parts.storage,
        keyStore: parts.keyStore,
        operatorStore: store,
        publicRoot: parts.publicRoot,
        users: demoUsers,
        logger: parts.logger,
      });
    },
  };
}
