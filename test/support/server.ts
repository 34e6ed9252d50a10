/** Starts a real Domus server on a free port for integration tests, on the given database. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDomus, type Domus } from '../../src/app.js';
import { loadConfig } from '../../src/platform/config.js';
import type { Logger } from '../../src/platform/logger.js';
import { type AdminCall, adminClient } from './admin-client.js';
import type { TestDatabase } from './databases.js';
import { NO_RATE_LIMITS } from './limits.js';

export interface TestServer {
  domus: Domus;
  url: string;
  adminToken: string;
  dataDir: string;
  admin: AdminCall;
  close(): Promise<void>;
}

export async function startTestServer(
  database: TestDatabase,
  env: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-data-'));
  const config = loadConfig({
    DOMUS_DATA_DIR: dataDir,
    DOMUS_DATABASE_URL: database.url,
    DOMUS_PORT: '0',
    DOMUS_LOG_LEVEL: 'silent',
    DOMUS_DB_POOL_SIZE: '4',
    ...NO_RATE_LIMITS,
    ...env,
  });
  const domus = await createDomus(config, options.logger);
  const url = await domus.listen();
  const adminToken = domus.secrets.adminToken;
  return {
    domus,
    url,
    adminToken,
    dataDir,
    admin: adminClient(url, adminToken),
    async close() {
      await domus.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
