/**
 * The REST API V2 request context on every database: access tokens, service providers, device
 * headers, error rendering, 405, CORS, and the configuration endpoint, with every answer checked
 * against Adobe's REST API V2 OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertAdobeResponse } from './support/adobe-contract.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import {
  type Answer,
  accessToken,
  call,
  deviceIdentifierHeader,
  deviceInfoHeader,
  fetchToken,
  registerClient,
  softwareStatement,
} from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const CONFIGURATION = '/api/v2/DemoChannel/configuration';
const ALLOWED_ORIGIN = 'http://localhost:3000';

for (const kind of testDatabases()) {
  describe(`REST API V2 request context on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;

    const get = (pathname: string, options: Parameters<typeof call>[3] = {}) =>
      call(server.url, 'GET', pathname, options);
    /** An enhanced error: status, code, action, trace = request id, JSON, and Adobe's shape. */
    const enhanced = async (answer: Answer, status: number, code: string, action: string, pathname = CONFIGURATION) => {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.status, status);
      assert.equal(answer.body.code, code);
      assert.equal(answer.body.action, action);
      assert.equal(typeof answer.body.message, 'string');
      assert.equal(answer.body.trace, answer.headers.get('x-request-id'));
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      await assertAdobeResponse('GET', pathname, answer);
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      token = (await accessToken(server.url, server.admin)).token;
      await server.admin('PUT', '/service-providers/OtherChannel', { displayName: 'Other Channel' });
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('answers the configuration: active MVPDs under requestor.mvpds, in Adobe’s shape', async () => {
      const answer = await get(CONFIGURATION, { token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      await assertAdobeResponse('GET', CONFIGURATION, answer);
      assert.equal(answer.body.requestor.id, 'DemoChannel');
      assert.equal(answer.body.requestor.name, 'Demo Channel');
      assert.deepEqual(
        answer.body.requestor.mvpds.map((m: { id: string; displayName: string }) => [m.id, m.displayName]),
        [
          ['DemoCable', 'Demo Cable'],
          ['DemoSat', 'Demo Satellite'],
        ],
      );
      for (const mvpd of answer.body.requestor.mvpds) assert.match(mvpd.logoUrl, /^data:image\/svg\+xml;base64,/);
    });

    it('lists only MVPDs with an active integration with this service provider', async () => {
      await server.admin('PUT', '/integrations/DemoChannel/DemoSat', { active: false });
      await server.admin('PUT', '/integrations/OtherChannel/DemoSat', { active: true });
      try {
        const answer = await get(CONFIGURATION, { token });
        assert.deepEqual(
          answer.body.requestor.mvpds.map((m: { id: string }) => m.id),
          ['DemoCable'],
        );
        await assertAdobeResponse('GET', CONFIGURATION, answer);
      } finally {
        await server.admin('PUT', '/integrations/DemoChannel/DemoSat', { active: true });
        await server.admin('DELETE', '/integrations/OtherChannel/DemoSat');
      }
    });

    it('accepts the optional device headers when well-formed and refuses them when not', async () => {
      const headers = { 'ap-device-identifier': deviceIdentifierHeader(), 'x-device-info': deviceInfoHeader() };
      assert.equal((await get(CONFIGURATION, { token, headers })).status, 200);
      assert.equal((await get(`${CONFIGURATION}?profile=anything`, { token })).status, 200);
      const tooLong = await get(`${CONFIGURATION}?profile=${'x'.repeat(200)}`, { token });
      await enhanced(tooLong, 400, 'invalid_request', 'none');
      assert.match(tooLong.body.details, /profile/);
      await enhanced(
        await get(CONFIGURATION, { token, headers: { 'x-device-info': 'bm90IGpzb24=' } }),
        400,
        'invalid_header_device_info',
        'none',
      );
      await enhanced(
        await get(CONFIGURATION, { token, headers: { 'ap-device-identifier': 'uuid 1234' } }),
        400,
        'invalid_header_device_identifier',
        'none',
      );
    });

    it('refuses a missing or bad access token: 401 invalid_access_token_client_application', async () => {
      const code = 'invalid_access_token_client_application';
      const action = 'application-registration';
      await enhanced(await get(CONFIGURATION), 401, code, action);
      await enhanced(await get(CONFIGURATION, { headers: { authorization: token } }), 401, code, action);
      await enhanced(await get(CONFIGURATION, { headers: { authorization: `Basic ${token}` } }), 401, code, action);
      await enhanced(await get(CONFIGURATION, { token: 'not-a-token' }), 401, code, action);
      await enhanced(await get(CONFIGURATION, { token: `${token.slice(0, -4)}AAAA` }), 401, code, action);
      const tokens = server.domus.entitlements.accessTokens;
      const { sub } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
      const expired = tokens.issue(sub, ['api:client:v2'], Date.now() - 21_601_000).token;
      await enhanced(await get(CONFIGURATION, { token: expired }), 401, code, action);
      const unknownClient = tokens.issue('00000000-0000-4000-8000-000000000000', ['api:client:v2']).token;
      await enhanced(await get(CONFIGURATION, { token: unknownClient }), 401, code, action);
      const statement = await softwareStatement(server.admin);
      await enhanced(await get(CONFIGURATION, { token: statement }), 401, code, action);
      assert.equal((await get(CONFIGURATION, { headers: { authorization: `bearer  ${token}` } })).status, 200);
    });

    it('revokes the tokens of clients registered with a replaced software statement', async () => {
      const app = await server.admin('POST', '/applications', {
        name: 'Rotating app',
        serviceProviders: ['DemoChannel'],
        redirectDomains: ['app.example'],
      });
      const { token: appToken } = await accessToken(server.url, server.admin, app.body.id);
      assert.equal((await get(CONFIGURATION, { token: appToken })).status, 200);
      await server.admin('POST', `/applications/${app.body.id}/software-statement`);
      const answer = await get(CONFIGURATION, { token: appToken });
      await enhanced(answer, 401, 'invalid_access_token_client_application', 'application-registration');
      assert.match(answer.body.details, /register again/);

      const fresh = await accessToken(server.url, server.admin, app.body.id);
      assert.equal((await get(CONFIGURATION, { token: fresh.token })).status, 200, 'a new registration works');
      await server.admin('DELETE', `/applications/${app.body.id}`);
      await enhanced(
        await get(CONFIGURATION, { token: fresh.token }),
        401,
        'invalid_access_token_client_application',
        'application-registration',
      );
    });

    it('checks the service provider: unknown → 400, not the application’s → 401', async () => {
      for (const pathname of ['/api/v2/NoSuchChannel/configuration', '/api/v2/bad%20id/configuration']) {
        await enhanced(await get(pathname, { token }), 400, 'invalid_parameter_service_provider', 'none', pathname);
      }
      const other = '/api/v2/OtherChannel/configuration';
      await enhanced(
        await get(other, { token }),
        401,
        'invalid_access_token_service_provider',
        'application-registration',
        other,
      );
      const app = await server.admin('POST', '/applications', {
        name: 'Two channels',
        serviceProviders: ['DemoChannel', 'OtherChannel'],
        redirectDomains: ['app.example'],
      });
      const both = await accessToken(server.url, server.admin, app.body.id);
      const answer = await get(other, { token: both.token });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.requestor, { id: 'OtherChannel', name: 'Other Channel', mvpds: [] });
    });

    it('answers a wrong method on a known path with 405 and Allow', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const answer = await call(server.url, method, CONFIGURATION, { token });
        assert.equal(answer.status, 405, method);
        assert.equal(answer.headers.get('allow'), 'GET, HEAD, OPTIONS');
        assert.equal(answer.body.code, 'method_not_allowed');
        assert.equal(answer.body.status, 405);
        assert.equal(answer.body.trace, answer.headers.get('x-request-id'));
        await assertAdobeResponse('GET', CONFIGURATION, answer);
      }
      for (const pathname of ['/o/client/register', '/o/client/token']) {
        const answer = await call(server.url, 'GET', pathname);
        assert.equal(answer.status, 405);
        assert.equal(answer.headers.get('allow'), 'POST, OPTIONS');
        assert.equal(answer.body.error, 'invalid_request');
      }
      assert.equal((await call(server.url, 'HEAD', CONFIGURATION, { token })).status, 200);
      assert.equal((await get('/api/v2/DemoChannel/no-such-thing', { token })).status, 404);
      assert.equal((await get('/o/no-such-thing')).status, 404);
    });

    it('echoes Access-Control-Allow-Origin only for the registered applications’ domains', async () => {
      const allowed = await get(CONFIGURATION, { token, headers: { origin: ALLOWED_ORIGIN } });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
      assert.match(allowed.headers.get('vary') ?? '', /Origin/);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
      const refusedButReadable = await get(CONFIGURATION, { headers: { origin: 'http://127.0.0.1:8000' } });
      assert.equal(refusedButReadable.status, 401);
      assert.equal(refusedButReadable.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8000');
      for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example', 'file://']) {
        const denied = await get(CONFIGURATION, { token, headers: { origin } });
        assert.equal(denied.status, 200);
        assert.equal(denied.headers.get('access-control-allow-origin'), null, origin);
      }
      const token201 = await call(server.url, 'POST', '/o/client/register', {
        json: { software_statement: await softwareStatement(server.admin) },
        headers: { origin: ALLOWED_ORIGIN },
      });
      assert.equal(token201.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    });

    it('answers CORS preflight requests with the methods and the V2 request headers', async () => {
      const preflight = (pathname: string, origin: string) =>
        call(server.url, 'OPTIONS', pathname, {
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization, ap-device-identifier, x-device-info',
          },
        });
      const allowed = await preflight(CONFIGURATION, ALLOWED_ORIGIN);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
      assert.equal(allowed.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS');
      const headers = (allowed.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(', ');
      for (const header of ['authorization', 'ap-device-identifier', 'x-device-info', 'content-type']) {
        assert.ok(headers.includes(header), header);
      }
      assert.ok(Number(allowed.headers.get('access-control-max-age')) > 0);
      const dcr = await preflight('/o/client/token', ALLOWED_ORIGIN);
      assert.equal(dcr.status, 204);
      assert.equal(dcr.headers.get('access-control-allow-methods'), 'POST, OPTIONS');

      const denied = await preflight(CONFIGURATION, 'https://evil.example');
      assert.equal(denied.headers.get('access-control-allow-origin'), null);
      assert.equal(denied.headers.get('access-control-allow-headers'), null);
      assert.equal((await preflight('/api/v2/DemoChannel/no-such-thing', ALLOWED_ORIGIN)).status, 404);
    });

    it('follows a change of redirect domains within seconds', async () => {
      const app = await server.admin('POST', '/applications', {
        name: 'Web app',
        serviceProviders: ['DemoChannel'],
        redirectDomains: ['*.web.example'],
      });
      const origin = 'https://tv.web.example';
      const deadline = Date.now() + 5_000;
      let answer: Answer;
      do {
        answer = await get(CONFIGURATION, { token, headers: { origin } });
        if (answer.headers.get('access-control-allow-origin') === origin) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      } while (Date.now() < deadline);
      assert.equal(answer.headers.get('access-control-allow-origin'), origin);
      await server.admin('DELETE', `/applications/${app.body.id}`);
    });

    it('answers an unexpected failure with 500 internal_server_error and nothing internal', async () => {
      const store = server.domus.entitlements.store;
      const original = store.activeMvpds;
      store.activeMvpds = async () => {
        throw new Error('connection string postgres://secret@db');
      };
      try {
        const answer = await get(CONFIGURATION, { token });
        await enhanced(answer, 500, 'internal_server_error', 'none');
        assert.equal(JSON.stringify(answer.body).includes('secret'), false);
      } finally {
        store.activeMvpds = original;
      }
    });

    it('keeps issuing tokens to the same client without registering again', async () => {
      const client = await registerClient(server.url, await softwareStatement(server.admin));
      const first = await fetchToken(server.url, client);
      const second = await fetchToken(server.url, client);
      assert.notEqual(first, second);
      assert.equal((await get(CONFIGURATION, { token: first })).status, 200);
      assert.equal((await get(CONFIGURATION, { token: second })).status, 200);
    });

    it('documents the DCR and V2 routes in /openapi.json with their answers', async () => {
      const document = (await get('/openapi.json')).body;
      const configuration = document.paths['/api/v2/{serviceProvider}/configuration'].get;
      assert.deepEqual(Object.keys(configuration.responses).sort(), ['200', '400', '401', '405', '429', '500', '503']);
      assert.deepEqual(configuration.security, [{ passAccessToken: [] }]);
      assert.ok(document.components.securitySchemes.passAccessToken);
      assert.ok(document.paths['/o/client/register'].post.responses['201']);
      const token = document.paths['/o/client/token'].post;
      assert.ok(token.requestBody.content['application/x-www-form-urlencoded']);
      assert.ok(token.responses['201']);
    });
  });
}
