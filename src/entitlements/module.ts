/**
 * The entitlement API (TV-Everywhere sign-in and sign-out) as one module: its operator model,
 * its keys and its routes, built from the shared platform pieces it is given.
 */

import type { Sealer } from '../platform/crypto/sealing.js';
import type { HttpServer } from '../platform/http/server.js';
import type { KeyStore } from '../platform/keys/key-store.js';
import type { Storage } from '../platform/storage/database.js';
import { seedDemoData } from './demo-data.js';
import { SoftwareStatements } from './operator/software-statements.js';
import { OperatorStore } from './operator/store.js';
import { operatorRoutes } from './routes/operator-routes.js';

export interface EntitlementModule {
  store: OperatorStore;
  statements: SoftwareStatements;
  /** Seeds the demo data into an empty database; answers whether it did. */
  seedDemo(): Promise<boolean>;
  mount(app: HttpServer, adminToken: string): Promise<void>;
}

export async function createEntitlementModule(parts: {
  storage: Storage;
  keyStore: KeyStore;
  sealer: Sealer;
}): Promise<EntitlementModule> {
  const store = new OperatorStore(parts.storage.db, parts.sealer);
  const statements = await SoftwareStatements.load(parts.keyStore);
  return {
    store,
    statements,
    seedDemo: () => seedDemoData(store),
    async mount(app, adminToken) {
      await app.register(async (scope) => operatorRoutes(scope, { store, statements, adminToken }), {
        prefix: '/admin/v1',
      });
    },
  };
}
