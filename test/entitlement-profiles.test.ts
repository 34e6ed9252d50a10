/**
 * The profile endpoints of the REST API V2 on every database (docs/entitlement-api.md,
 * "5. Sign the viewer in"): a profile belongs to one client registration and one device, expired
 * profiles are never answered, and an MVPD whose integration is off hides its profiles; every
 * answer checked against Adobe's OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken } from './support/pass-client.js';
import { assertEnhanced, device, v2, walkLogin } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';
import { UserAgent } from './support/user-agent.js';

const SP = 'DemoChannel';
const REDIRECT = 'http://localhost:3000/signed-in';
const PROFILES = `/api/v2/${SP}/profiles`;

for (const kind of testDatabases()) {
  describe(`profiles on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    /** The client registration that signed in, and another registration of the same app. */
    let token: string;
    let otherToken: string;
    const signedIn = device('living-room-tv');
    let code: string;

    const get = (pathname: string, as: string, headers?: Record<string, string>) =>
      v2(server.url, 'GET', pathname, { token: as, ...(headers && { headers }) });
    const expectEmpty = async (pathname: string, as: string, headers?: Record<string, string>) => {
      const answer = await get(pathname, as, headers);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, { profiles: {} }, pathname);
    };
    const expectProfiles = async (pathname: string, mvpds: string[], headers?: Record<string, string>) => {
      const answer = await get(pathname, token, headers);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body.profiles), mvpds, pathname);
    };
    const signIn = async (mvpd: string, headers: Record<string, string>, user: string) => {
      const session = await v2(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token,
        headers,
        form: { mvpd, domainName: 'localhost', redirectUrl: REDIRECT },
      });
      const reached = await walkLogin(new UserAgent(), server.url + session.body.url, user, (url) =>
        url.startsWith(REDIRECT),
      );
      assert.equal(reached, REDIRECT);
      return session.body.code as string;
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      token = (await accessToken(server.url, server.admin)).token;
      otherToken = (await accessToken(server.url, server.admin)).token;
      code = await signIn('DemoCable', signedIn, 'alice');
      await signIn('DemoSat', signedIn, 'bob');
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('lists every valid profile of the device, one per MVPD', async () => {
      await expectProfiles(PROFILES, ['DemoCable', 'DemoSat'], signedIn);
      await expectProfiles(`${PROFILES}/DemoSat`, ['DemoSat'], signedIn);
      await expectProfiles(`${PROFILES}/code/${code}`, ['DemoCable']);
      await expectProfiles(`${PROFILES}/code/${code.toLowerCase()}`, ['DemoCable']);
    });

    it('shows nothing to another device or another client registration', async () => {
      const otherDevice = device('bedroom-tv');
      await expectEmpty(PROFILES, token, otherDevice);
      await expectEmpty(`${PROFILES}/DemoCable`, token, otherDevice);
      await expectEmpty(PROFILES, otherToken, signedIn);
      await expectEmpty(`${PROFILES}/DemoCable`, otherToken, signedIn);
      assertEnhanced(await get(`${PROFILES}/code/${code}`, otherToken), 400, 'invalid_authentication_session');
      // Signing in on one device does not sign in another: its session asks to authenticate.
      const elsewhere = await v2(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token: otherToken,
        headers: signedIn,
        form: { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
      });
      assert.equal(elsewhere.body.actionName, 'authenticate');
    });

    it('needs the device headers on profiles and profiles/{mvpd}, not on profiles/code', async () => {
      assertEnhanced(await get(PROFILES, token), 400, 'invalid_header_device_identifier');
      assertEnhanced(await get(`${PROFILES}/DemoCable`, token), 400, 'invalid_header_device_identifier');
      assertEnhanced(
        await get(PROFILES, token, { 'ap-device-identifier': signedIn['ap-device-identifier'] as string }),
        400,
        'invalid_header_device_info',
      );
      await expectProfiles(`${PROFILES}/code/${code}`, ['DemoCable']);
    });

    it('refuses unknown MVPDs, inactive integrations, and unknown or malformed codes', async () => {
      assertEnhanced(await get(`${PROFILES}/NoSuchMvpd`, token, signedIn), 400, 'invalid_parameter_mvpd');
      assertEnhanced(await get(`${PROFILES}/bad%20mvpd`, token, signedIn), 400, 'invalid_parameter_mvpd');
      assertEnhanced(await get(`${PROFILES}/code/ZZZZZZZ`, token), 400, 'invalid_authentication_session');
      assertEnhanced(await get(`${PROFILES}/code/ABC`, token), 400, 'invalid_parameter_code');
    });

    it('answers an empty map while a session waits for its login', async () => {
      const session = await v2(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token,
        headers: device('waiting-tv'),
        form: { domainName: 'localhost' },
      });
      await expectEmpty(`${PROFILES}/code/${session.body.code}`, token);
      assertEnhanced(
        await get(`${PROFILES}/code/${session.body.code}`, otherToken),
        400,
        'invalid_authentication_session',
      );
    });

    it('hides the profiles of an MVPD whose integration is inactive', async () => {
      await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: false });
      try {
        await expectProfiles(PROFILES, ['DemoCable'], signedIn);
        assertEnhanced(await get(`${PROFILES}/DemoSat`, token, signedIn), 400, 'invalid_integration');
      } finally {
        await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: true });
      }
      await expectProfiles(PROFILES, ['DemoCable', 'DemoSat'], signedIn);
    });

    it('never answers an expired profile', async () => {
      const tv = device('short-lived-tv');
      const shortCode = await signIn('DemoCable', tv, 'carol');
      await expectProfiles(PROFILES, ['DemoCable'], tv);
      // The clock moves past notAfter.
      await server.domus.storage.db
        .updateTable('profiles')
        .set({ not_after: Date.now() - 1 })
        .where('code', '=', shortCode)
        .execute();
      await expectEmpty(PROFILES, token, tv);
      await expectEmpty(`${PROFILES}/DemoCable`, token, tv);
      await expectEmpty(`${PROFILES}/code/${shortCode}`, token);
      const again = await v2(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token,
        headers: tv,
        form: { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
      });
      assert.equal(again.body.actionName, 'authenticate', 'an expired profile means signing in again');
      await expectProfiles(PROFILES, ['DemoCable', 'DemoSat'], signedIn);
    });

    it('is found through the store clock too: list and findByCode skip what has expired by `now`', async () => {
      const profiles = server.domus.entitlements.profiles;
      const [row] = await server.domus.storage.db.selectFrom('profiles').selectAll().where('code', '=', code).execute();
      assert.ok(row);
      const key = { clientId: row.client_id, deviceId: row.device_id, serviceProviderId: SP };
      const later = Number(row.not_after);
      assert.equal(
        (await profiles.list(key, later - 1)).some((p) => p.code === code),
        true,
      );
      assert.equal(
        (await profiles.list(key, later)).some((p) => p.code === code),
        false,
      );
      assert.ok(await profiles.findByCode(code, key, later - 1));
      assert.equal(await profiles.findByCode(code, key, later), undefined);
      assert.equal(await profiles.findByCode(code, { ...key, clientId: 'someone-else' }, later - 1), undefined);
    });
  });
}
