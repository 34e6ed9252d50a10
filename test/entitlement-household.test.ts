/**
 * Household domain tokens on every database (docs/entitlement-api.md, "Household domain token"): a
 * device with a valid profile gets an auth token the domain server trusts, naming its pay-TV
 * household; six devices of household `household-1` (alice's and bob's, one of them signed in end
 * to end through Domus) take tokens and join the identity domain `DemoCable:household-1` with the
 * bundled device client, and the sixth meets the identity domains' default limit of five machines.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DeviceClient, DomainServerError } from '../src/device/device-client.js';
import { simulatedComponents } from '../src/device/hardware.js';
import { assertAdobeErrorBody } from './support/adobe-contract.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { type Answer, accessToken, call } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device, saveProfile, signInThroughDomus } from './support/stored-profiles.js';
import { UserAgent } from './support/user-agent.js';

const DOMAIN_TOKEN = '/api/v2/DemoChannel/tokens/domain/DemoCable';

for (const kind of testDatabases()) {
  describe(`household domain tokens on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let clientId: string;
    const dirs: string[] = [];

    const domainToken = (headers: Record<string, string>, pathname = DOMAIN_TOKEN) =>
      call(server.url, 'POST', pathname, { token, headers });
    const refused = async (answer: Answer, status: number, code: string) => {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.code, code);
      assert.equal(answer.body.trace, answer.headers.get('x-request-id'));
      await assertAdobeErrorBody(answer.body);
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      const registered = await accessToken(server.url, server.admin);
      token = registered.token;
      clientId = registered.client.client_id;
    });
    after(async () => {
      await server.close();
      await database.drop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('issues a token naming the household in the MVPD namespace, trusted by the domain server', async () => {
      const phone = device('household-claims-phone');
      const profile = await saveProfile(server, {
        clientId,
        deviceId: phone.deviceId,
        mvpd: 'DemoCable',
        user: 'alice',
      });
      const answer = await domainToken(phone.headers);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body).sort(), ['notAfter', 'token']);
      const claims = decodeJwt(answer.body.token);
      assert.equal(decodeProtectedHeader(answer.body.token).alg, 'ES256');
      assert.equal(claims.iss, 'domus-entitlements');
      assert.equal(claims.sub, 'household-1');
      assert.equal(claims.nq, 'DemoCable');
      assert.equal(answer.body.notAfter, (claims.exp as number) * 1000);
      assert.ok(answer.body.notAfter <= profile.notAfter, 'never past the profile');
      assert.deepEqual(await server.domus.issuers.verify(answer.body.token), {
        issuer: 'domus-entitlements',
        subject: 'household-1',
        namespace: 'DemoCable',
      });

      // Without a household id the user is the household; a short profile caps the token.
      const tablet = device('household-claims-tablet');
      const soon = Date.now() + 120_000;
      await saveProfile(server, {
        clientId,
        deviceId: tablet.deviceId,
        mvpd: 'DemoSat',
        user: 'dave',
        householdId: null,
        notAfter: soon,
      });
      const sat = await domainToken(tablet.headers, '/api/v2/DemoChannel/tokens/domain/DemoSat');
      assert.equal(sat.status, 200, JSON.stringify(sat.body));
      assert.deepEqual([decodeJwt(sat.body.token).sub, decodeJwt(sat.body.token).nq], ['dave', 'DemoSat']);
      assert.ok(sat.body.notAfter <= soon);
    });

    it('refuses without a valid profile (403), with bad headers or an inactive integration (400)', async () => {
      const stranger = device('household-stranger');
      await refused(await domainToken(stranger.headers), 403, 'authenticated_profile_missing');
      await saveProfile(server, { clientId, deviceId: stranger.deviceId, mvpd: 'DemoCable', notAfter: Date.now() - 1 });
      await refused(await domainToken(stranger.headers), 403, 'authenticated_profile_expired');
      await refused(
        await domainToken({ 'x-device-info': stranger.headers['x-device-info'] }),
        400,
        'invalid_header_device_identifier',
      );
      await server.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: false });
      try {
        await refused(await domainToken(stranger.headers), 400, 'invalid_integration');
      } finally {
        await server.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: true });
      }
      const noToken = await call(server.url, 'POST', DOMAIN_TOKEN, { headers: stranger.headers });
      await refused(noToken, 401, 'invalid_access_token_client_application');
    });

    it('six devices of one household join its identity domain; the sixth meets the limit of five', async () => {
      const members: DeviceClient[] = [];
      for (let i = 1; i <= 6; i++) {
        const user = i <= 3 ? 'alice' : 'bob';
        const app = device(`household-1-device-${i}`);
        if (i === 1) {
          await signInThroughDomus(server, new UserAgent(), { token, headers: app.headers, mvpd: 'DemoCable', user });
        } else {
          await saveProfile(server, { clientId, deviceId: app.deviceId, mvpd: 'DemoCable', user });
        }
        const answer = await domainToken(app.headers);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-household-'));
        dirs.push(dir);
        const machine = new DeviceClient(dir, { components: simulatedComponents(`household-1-machine-${i}`) });
        await machine.individualize(server.url);
        if (i <= 5) {
          const joined = await machine.join(server.url, answer.body.token);
          assert.equal(joined.name, 'DemoCable:household-1');
          assert.equal(joined.mode, 'identity');
          members.push(machine);
        } else {
          await assert.rejects(
            machine.join(server.url, answer.body.token),
            (error: unknown) =>
              error instanceof DomainServerError && error.status === 403 && error.errorName === 'DOM_LIMIT_REACHED',
          );
        }
      }
      const domain = await server.admin('GET', `/domains/identity/${encodeURIComponent('DemoCable:household-1')}`);
      assert.equal(domain.status, 200, JSON.stringify(domain.body));
      assert.equal(domain.body.members, 5);
      assert.equal(domain.body.policy.maxMembership, 5);
      assert.equal(members.length, 5);
    });
  });
}
