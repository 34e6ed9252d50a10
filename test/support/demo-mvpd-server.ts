/**
 * A server with the demo identity providers mounted, for their tests: the platform, the demo
 * data and mountDemoProviders on a fresh HTTP server, without the rest of the app (so these
 * tests do not depend on how the composition root wires the entitlement module).
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openPlatform } from '../../src/app.js';
import { seedDemoData } from '../../src/entitlements/demo-data.js';
import { type DemoProviders, mountDemoProviders } from '../../src/entitlements/mvpd/demo/mount.js';
import { DemoUsers } from '../../src/entitlements/mvpd/demo/users.js';
import { OperatorStore } from '../../src/entitlements/operator/store.js';
import { loadConfig } from '../../src/platform/config.js';
import { createHttpServer } from '../../src/platform/http/server.js';
import { createLogger } from '../../src/platform/logger.js';
import type { Storage } from '../../src/platform/storage/database.js';
import type { TestDatabase } from './databases.js';

export interface DemoMvpdServer {
  /** Where the server really listens. */
  url: string;
  /** The public root it hands out (DOMUS_PUBLIC_URL, or http://localhost:{port}). */
  publicRoot: string;
  store: OperatorStore;
  storage: Storage;
  demo: DemoProviders;
  close(): Promise<void>;
}

export async function startDemoMvpdServer(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<DemoMvpdServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-data-'));
  const config = loadConfig({
    DOMUS_DATA_DIR: dataDir,
    DOMUS_DATABASE_URL: database.url,
    DOMUS_PORT: '0',
    DOMUS_LOG_LEVEL: 'silent',
    DOMUS_DB_POOL_SIZE: '4',
    DOMUS_DEMO: 'true',
    ...env,
  });
  const logger = createLogger(config.logLevel);
  const { storage, sealer, keyStore } = await openPlatform(config, logger);
  const store = new OperatorStore(storage, sealer);
  if (config.demo) await seedDemoData(store);
  const http = await createHttpServer({ logger, trustedProxies: config.trustedProxies, version: 'test' });
  let port = 0;
  const publicRoot = () => config.publicUrl ?? `http://localhost:${port}`;
  const demo = await mountDemoProviders(http, {
    storage,
    keyStore,
    operatorStore: store,
    publicRoot,
    users: DemoUsers.load(config.demoUsersFile),
    logger,
  });
  await http.ready();
  await http.listen({ host: config.host, port: 0 });
  port = (http.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    publicRoot: publicRoot(),
    store,
    storage,
    demo,
    async close() {
      await http.close();
      await storage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
