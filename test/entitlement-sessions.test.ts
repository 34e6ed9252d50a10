/**
 * The session endpoints of the REST API V2 on every database (docs/entitlement-api.md, "5. Sign the
 * viewer in"): what create, resume and read answer, how they refuse bad input without changing
 * anything, and the primary device's description, every answer checked against Adobe's OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken, call } from './support/pass-client.js';
import { assertEnhanced, device, v2 } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';

const SP = 'DemoChannel';
const SESSIONS = `/api/v2/${SP}/sessions`;
const REDIRECT = 'http://localhost:3000/signed-in';
const COMPLETE = { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT };

for (const kind of testDatabases()) {
  describe(`authentication sessions on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let otherToken: string;

    const create = (form: Record<string, string>, headers: Record<string, string> = device('tv-1')) =>
      v2(server.url, 'POST', SESSIONS, { token, headers, form });
    const resume = (code: string, form: Record<string, string>, as = otherToken) =>
      v2(server.url, 'POST', `${SESSIONS}/${code}`, { token: as, form });
    const read = (code: string, as = otherToken) => v2(server.url, 'GET', `${SESSIONS}/${code}`, { token: as });
    const sessionRows = async () =>
      server.domus.storage.db.selectFrom('authentication_sessions').selectAll().orderBy('code').execute();

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      token = (await accessToken(server.url, server.admin)).token;
      otherToken = (await accessToken(server.url, server.admin)).token;
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('creates a session for the authenticate step when every parameter is given', async () => {
      const before = Date.now();
      const answer = await create(COMPLETE);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const { code, notBefore, notAfter, sessionId, ...rest } = answer.body;
      assert.deepEqual(rest, {
        actionName: 'authenticate',
        actionType: 'interactive',
        reasonType: 'none',
        url: `/api/v2/authenticate/${SP}/${code}`,
        mvpd: 'DemoCable',
        serviceProvider: SP,
      });
      assert.match(code, /^[A-HJ-NP-Z2-9]{7}$/);
      assert.match(notBefore, /^\d{13}$/);
      assert.ok(Number(notBefore) >= before && Number(notBefore) <= Date.now());
      assert.equal(Number(notAfter) - Number(notBefore), 1_800_000);
      assert.match(sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
      assert.equal(answer.headers.get('x-request-id') !== null, true);
    });

    it('asks for a resume naming the missing parameters as the request does; empty counts as missing', async () => {
      const none = await create({});
      assert.equal(none.body.actionName, 'resume');
      assert.equal(none.body.actionType, 'direct');
      assert.equal(none.body.reasonType, 'none');
      assert.deepEqual(none.body.missingParameters, ['mvpd', 'domainName', 'redirectUrl']);
      assert.equal(none.body.url, `${SESSIONS}/${none.body.code}`);

      const blank = await create({ mvpd: '', domainName: '  ', redirectUrl: REDIRECT });
      assert.deepEqual(blank.body.missingParameters, ['mvpd', 'domainName']);

      const noBody = await call(server.url, 'POST', SESSIONS, { token, headers: device('tv-1') });
      assert.equal(noBody.status, 200, JSON.stringify(noBody.body));
      assert.deepEqual(noBody.body.missingParameters, ['mvpd', 'domainName', 'redirectUrl']);
    });

    it('resumes from any client of the service provider: retry while incomplete, then authenticate', async () => {
      const created = await create({ domainName: 'localhost' });
      const { code } = created.body;
      const retry = await resume(code.toLowerCase(), { redirectUrl: REDIRECT });
      assert.equal(retry.status, 200);
      assert.equal(retry.body.actionName, 'retry');
      assert.equal(retry.body.actionType, 'direct');
      assert.deepEqual(retry.body.missingParameters, ['mvpd']);
      assert.equal(retry.body.notAfter, created.body.notAfter, 'resuming does not extend the code');

      const nothing = await resume(code, {});
      assert.deepEqual(nothing.body.missingParameters, ['mvpd']);

      const done = await resume(code, { mvpd: 'DemoSat' });
      assert.equal(done.body.actionName, 'authenticate');
      assert.equal(done.body.url, `/api/v2/authenticate/${SP}/${code}`);
      assert.equal(done.body.mvpd, 'DemoSat');
      assert.equal(done.body.code, code);

      const changed = await resume(code, { mvpd: 'DemoCable' });
      assert.equal(changed.body.mvpd, 'DemoCable', 'a resume replaces what the session had');

      const status = await read(code);
      assert.deepEqual(status.body.existingParameters, {
        mvpd: 'DemoCable',
        domainName: 'localhost',
        redirectUrl: REDIRECT,
        serviceProvider: SP,
      });
      assert.deepEqual(status.body.missingParameters, []);
    });

    it("describes the primary device in Adobe's Device shape", async () => {
      const info = {
        primaryHardwareType: 'SetTopBox',
        model: 'Roku Ultra',
        version: '4800X',
        manufacturer: 'Roku',
        vendor: 'Roku',
        osName: 'Roku OS',
        osVendor: 'Roku',
        osVersion: '12.5.1',
        browserName: 'Chrome',
        browserVersion: '60.0.3112',
        userAgent: 'Roku/DVP-12.5',
        displayWidth: 1920,
        displayHeight: '1080',
        displayPpi: -3,
        diagonalScreenSize: 55,
        connectionType: 'WiredConnection',
        connectionSecure: 'true',
        connectionIp: '203.0.113.7',
        connectionPort: 53124,
        applicationId: 'REF30',
      };
      const created = await create(COMPLETE, device('roku', info));
      const answer = await read(created.body.code);
      assert.deepEqual(answer.body.device, {
        type: 'SetTopBox',
        model: 'Roku Ultra',
        version: { major: 4800, profile: 'X' },
        hardware: { name: 'Roku Ultra', vendor: 'Roku', manufacturer: 'Roku', version: { major: 4800, profile: 'X' } },
        operatingSystem: { name: 'Roku OS', vendor: 'Roku', version: { major: 12, minor: 5, patch: 1 } },
        browser: { name: 'Chrome', version: { major: 60, minor: 0, patch: 3112 }, userAgent: 'Roku/DVP-12.5' },
        display: { width: 1920, height: 1080, diagonalSize: '55' },
        applicationId: 'REF30',
        connection: { type: 'WiredConnection', secure: true, port: '53124', ipAddress: { hostAddress: '203.0.113.7' } },
      });

      const odd = await create(
        COMPLETE,
        device('odd', {
          model: 'x',
          version: 'r0q',
          osName: 'y',
          osVersion: 'z',
          connectionType: 'c',
          primaryHardwareType: 'Toaster',
        }),
      );
      const oddDevice = (await read(odd.body.code)).body.device;
      assert.equal(oddDevice.type, 'Unknown');
      assert.deepEqual(oddDevice.version, { profile: 'r0q' });
    });

    it('refuses bad parameters and creates nothing', async () => {
      const rows = await sessionRows();
      const refusals: [Record<string, string>, string][] = [
        [{ ...COMPLETE, mvpd: 'NoSuchMvpd' }, 'invalid_parameter_mvpd'],
        [{ ...COMPLETE, mvpd: 'bad mvpd!' }, 'invalid_parameter_mvpd'],
        [{ ...COMPLETE, redirectUrl: 'https://evil.example/steal' }, 'invalid_parameter_redirect_url'],
        [{ ...COMPLETE, redirectUrl: 'https://localhost.evil.example/x' }, 'invalid_parameter_redirect_url'],
        [{ ...COMPLETE, redirectUrl: '/relative/path' }, 'invalid_parameter_redirect_url'],
        [{ ...COMPLETE, redirectUrl: 'javascript:alert(1)//localhost' }, 'invalid_parameter_redirect_url'],
        [{ ...COMPLETE, redirectUrl: 'http://user@localhost/x' }, 'invalid_parameter_redirect_url'],
        [{ ...COMPLETE, redirectUrl: `http://localhost/${'x'.repeat(2100)}` }, 'invalid_parameter_redirect_url'],
        [{ ...COMPLETE, domainName: 'not a domain' }, 'invalid_request'],
        [{ mvpd: 'NoSuchMvpd' }, 'invalid_parameter_mvpd'],
        [{ redirectUrl: 'https://evil.example/' }, 'invalid_parameter_redirect_url'],
      ];
      for (const [form, code] of refusals) assertEnhanced(await create(form), 400, code);

      await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: false });
      try {
        assertEnhanced(await create({ ...COMPLETE, mvpd: 'DemoSat' }), 400, 'invalid_integration');
      } finally {
        await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: true });
      }
      await server.admin('PUT', '/service-providers/OtherChannel', { displayName: 'Other' });
      await server.admin('PUT', '/integrations/OtherChannel/DemoSat', { active: true });
      await server.admin('DELETE', `/integrations/${SP}/DemoSat`);
      try {
        assertEnhanced(await create({ ...COMPLETE, mvpd: 'DemoSat' }), 400, 'invalid_integration');
      } finally {
        await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: true });
      }

      const twice = await call(server.url, 'POST', SESSIONS, {
        token,
        headers: { ...device('tv-1'), 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(twice.status, 200, 'an empty form body is a session with nothing given');
      const duplicate = await fetch(`${server.url}${SESSIONS}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...device('tv-1'),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'mvpd=DemoCable&mvpd=DemoSat',
      });
      assert.equal((await duplicate.json()).code, 'invalid_parameter_mvpd');
      const json = await v2(server.url, 'POST', SESSIONS, { token, headers: device('tv-1'), json: COMPLETE });
      assertEnhanced(json, 400, 'invalid_request');

      assert.equal((await sessionRows()).length, rows.length + 1, 'only the empty-body request made a session');
    });

    it('needs both device headers on create, and none on resume and read', async () => {
      const { 'ap-device-identifier': identifier, 'x-device-info': info } = device('tv-1');
      assertEnhanced(
        await create(COMPLETE, { 'x-device-info': info as string }),
        400,
        'invalid_header_device_identifier',
      );
      assertEnhanced(
        await create(COMPLETE, { 'ap-device-identifier': identifier as string }),
        400,
        'invalid_header_device_info',
      );
      assertEnhanced(
        await create(COMPLETE, { ...device('tv-1'), 'ap-device-identifier': 'uuid 1234' }),
        400,
        'invalid_header_device_identifier',
      );
      assertEnhanced(
        await create(COMPLETE, { ...device('tv-1'), 'x-device-info': 'e30=' }),
        400,
        'invalid_header_device_info',
      );
      const created = await create({ domainName: 'localhost' });
      assert.equal((await resume(created.body.code, { mvpd: 'DemoCable' })).status, 200);
      assert.equal((await read(created.body.code)).status, 200);
    });

    it('answers invalid_authentication_session for unknown or expired codes, invalid_parameter_code for malformed ones', async () => {
      for (const answer of [await resume('ZZZZZZZ', {}), await read('ZZZZZZZ')]) {
        assertEnhanced(answer, 400, 'invalid_authentication_session');
      }
      for (const code of ['ABC', 'ABCDEFGH', 'ABC-DEF']) {
        assertEnhanced(await resume(code, {}), 400, 'invalid_parameter_code');
        assertEnhanced(await read(code), 400, 'invalid_parameter_code');
      }
      const created = await create({ domainName: 'localhost' });
      await server.domus.storage.db
        .updateTable('authentication_sessions')
        .set({ not_after: Date.now() - 1 })
        .where('code', '=', created.body.code)
        .execute();
      assertEnhanced(await resume(created.body.code, { mvpd: 'DemoCable' }), 400, 'invalid_authentication_session');
      assertEnhanced(await read(created.body.code), 400, 'invalid_authentication_session');
    });

    it('checks a resumed redirectUrl against the resuming application, and a refusal changes nothing', async () => {
      const created = await create({ domainName: 'localhost' });
      const { code } = created.body;
      assertEnhanced(
        await resume(code, { mvpd: 'DemoCable', redirectUrl: 'https://evil.example/' }),
        400,
        'invalid_parameter_redirect_url',
      );
      assertEnhanced(await resume(code, { mvpd: 'NoSuchMvpd', redirectUrl: REDIRECT }), 400, 'invalid_parameter_mvpd');
      assert.deepEqual((await read(code)).body.missingParameters, ['mvpd', 'redirectUrl']);

      // Another application of the service provider, whose redirect domain differs.
      const application = await server.admin('POST', '/applications', {
        name: 'second screen site',
        serviceProviders: [SP],
        redirectDomains: ['activate.example'],
      });
      const siteToken = (await accessToken(server.url, server.admin, application.body.id)).token;
      assertEnhanced(await resume(code, { redirectUrl: REDIRECT }, siteToken), 400, 'invalid_parameter_redirect_url');
      const accepted = await resume(code, { redirectUrl: 'https://activate.example/done' }, siteToken);
      assert.equal(accepted.body.actionName, 'retry');
      assert.equal((await read(code)).body.existingParameters.redirectUrl, 'https://activate.example/done');
    });

    it('keeps sessions to the service provider of the path and to valid tokens', async () => {
      const created = await create({ domainName: 'localhost' });
      const noToken = await v2(server.url, 'POST', `${SESSIONS}/${created.body.code}`, { form: {} });
      assertEnhanced(noToken, 401, 'invalid_access_token_client_application');
      assertEnhanced(
        await v2(server.url, 'GET', `${SESSIONS}/${created.body.code}`, {}),
        401,
        'invalid_access_token_client_application',
      );
      await server.admin('PUT', '/service-providers/Elsewhere', { displayName: 'Elsewhere' });
      const elsewhere = await v2(server.url, 'GET', `/api/v2/Elsewhere/sessions/${created.body.code}`, { token });
      assertEnhanced(elsewhere, 401, 'invalid_access_token_service_provider');
    });

    it('answers 405 with Allow for other methods', async () => {
      const answer = await call(server.url, 'DELETE', SESSIONS, { token });
      assert.equal(answer.body.code, 'method_not_allowed');
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.get('allow'), 'POST, OPTIONS');
      const onCode = await call(server.url, 'PUT', `${SESSIONS}/ABCDEFG`, { token });
      assert.equal(onCode.status, 405);
      assert.equal(onCode.headers.get('allow'), 'GET, HEAD, POST, OPTIONS');
    });
  });
}
