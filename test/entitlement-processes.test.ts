/**
 * Two `domus serve` processes on one database (SQLite file or PostgreSQL) behave as one for the
 * entitlement API: an operator change made through one process takes effect in the other at
 * once, although both answer from their caches of the operator model and client registrations
 * (platform/storage/shared-cache.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { eventually } from './support/eventually.js';
import { type Answer, accessToken, call, deviceIdentifierHeader, deviceInfoHeader } from './support/pass-client.js';
import { type DomusProcess, startDomusServer, stopAllChildren } from './support/processes.js';

const CONFIGURATION = '/api/v2/DemoChannel/configuration';
const AUTHORIZE = '/api/v2/DemoChannel/decisions/authorize/DemoCable';
/** How long the other process may take to hear of a change (PostgreSQL delivers it in milliseconds). */
const PROPAGATION_MS = 3_000;

/** Asks `ask` until `done` holds of its answer or PROPAGATION_MS has passed; answers the last answer. */
const within = (ask: () => Promise<Answer>, done: (answer: Answer) => boolean) => eventually(ask, done, PROPAGATION_MS);

for (const kind of testDatabases()) {
  describe(`entitlement API: two server processes on one ${kind.name} database`, { timeout: 120_000 }, () => {
    let database: TestDatabase;
    let first: DomusProcess;
    let second: DomusProcess;
    const dataDirs: string[] = [];

    before(async () => {
      database = await kind.create();
      const env = {
        DOMUS_DATABASE_URL: database.url,
        DOMUS_MASTER_KEY: randomBytes(32).toString('base64'),
        DOMUS_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
        DOMUS_LOG_LEVEL: 'warn',
        DOMUS_THROTTLE: 'off',
        DOMUS_DEMO: 'true',
        DOMUS_PORT: '0',
      };
      const dataDir = () => {
        dataDirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'domus-proc-')));
        return dataDirs.at(-1) as string;
      };
      // One after the other: the first seeds the demo data, the second finds it.
      first = await startDomusServer({ ...env, DOMUS_DATA_DIR: dataDir() });
      second = await startDomusServer({ ...env, DOMUS_DATA_DIR: dataDir() });
    });
    after(async () => {
      await stopAllChildren();
      await database.drop();
      for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    const device = {
      'ap-device-identifier': deviceIdentifierHeader('two-processes'),
      'x-device-info': deviceInfoHeader(),
    };
    const mvpdsAt = async (server: DomusProcess, token: string) => {
      const answer = await call(server.url, 'GET', CONFIGURATION, { token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.requestor.mvpds.map((mvpd: { id: string }) => mvpd.id).sort();
    };

    it('an integration deactivated through one process is inactive in the other', async () => {
      const { token } = await accessToken(first.url, first.admin);
      // Both processes have read (and cached) the integration.
      assert.deepEqual(await mvpdsAt(first, token), ['DemoCable', 'DemoSat']);
      assert.deepEqual(await mvpdsAt(second, token), ['DemoCable', 'DemoSat']);
      const before = await call(second.url, 'POST', AUTHORIZE, { token, headers: device, json: { resources: ['x'] } });
      assert.equal(before.body.code, 'authenticated_profile_missing', JSON.stringify(before.body));

      const put = await first.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: false });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const refused = await within(
        () => call(second.url, 'POST', AUTHORIZE, { token, headers: device, json: { resources: ['x'] } }),
        (answer) => answer.body.code === 'invalid_integration',
      );
      assert.equal(refused.body.code, 'invalid_integration', JSON.stringify(refused.body));
      assert.deepEqual(await mvpdsAt(second, token), ['DemoSat']);

      await first.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: true });
      const reactivated = await within(
        () => call(second.url, 'GET', CONFIGURATION, { token }),
        (answer) => answer.body.requestor?.mvpds?.length === 2,
      );
      assert.equal(reactivated.body.requestor.mvpds.length, 2, JSON.stringify(reactivated.body));
    });

    it('a software statement replaced through one process revokes its clients in the other', async () => {
      const { token } = await accessToken(second.url, second.admin);
      assert.deepEqual(await mvpdsAt(second, token), ['DemoCable', 'DemoSat']);
      const rotated = await first.admin('POST', '/applications/demo-app/software-statement');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const revoked = await within(
        () => call(second.url, 'GET', CONFIGURATION, { token }),
        (answer) => answer.status === 401,
      );
      assert.equal(revoked.status, 401, JSON.stringify(revoked.body));
      assert.equal(revoked.body.code, 'invalid_access_token_client_application');
    });
  });
}
