/**
 * Input Domus must refuse with the endpoint's own error and without changing anything (issue 9),
 * on every database:
 *
 * - characters PostgreSQL text cannot store (NUL) and lone UTF-16 surrogates, in paths, query
 *   strings, form and JSON bodies;
 * - bodies of a media type the endpoint does not take (a text/plain session create stored a
 *   session);
 * - values of the wrong JSON type (no type coercion: `["statement"]`, `12345`, `"7"`);
 * - URLs the router cannot take (bad percent-encoding, over-long path parameters) and paths no
 *   route serves: answered in the wire format of the path, never in fastify's own shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { shapeProblem, type WireFormat, wireFormatOf } from './support/error-shapes.js';
import { accessToken, softwareStatement } from './support/pass-client.js';
import { device } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshotAll } from './support/snapshot.js';

const SP = 'DemoChannel';
const REDIRECT = 'http://localhost:3000/signed-in';

interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

interface Received {
  status: number;
  contentType: string;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  body: any;
}

for (const kind of testDatabases()) {
  describe(`issue 9: refused input on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let client: { client_id: string; client_secret: string };
    let statement: string;

    const send = async (request: Sent): Promise<Received> => {
      const headers: Record<string, string> = { ...request.headers };
      if (request.contentType) headers['content-type'] = request.contentType;
      const response = await fetch(`${server.url}${request.path}`, {
        method: request.method ?? 'GET',
        headers,
        body: request.body,
      });
      const text = await response.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, body };
    };
    const bearer = () => ({ authorization: `Bearer ${token}` });
    const admin = () => ({ authorization: `Bearer ${server.adminToken}` });

    /** Sends each request and checks: the status, the path's error shape, and no stored change. */
    const refused = async (status: number, requests: Sent[], format?: WireFormat) => {
      const before = await snapshotAll(server.domus.storage);
      for (const request of requests) {
        const answer = await send(request);
        const what = `${request.method ?? 'GET'} ${request.path.slice(0, 120)}`;
        assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 300)}`);
        const problem = shapeProblem(format ?? wireFormatOf(request.path.split('?')[0] ?? ''), answer);
        assert.equal(problem, undefined, `${what}: ${problem}`);
      }
      assert.deepEqual(await snapshotAll(server.domus.storage), before, 'a refused request changed stored state');
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      statement = await softwareStatement(server.admin);
      ({ client, token } = await accessToken(server.url, server.admin));
      assert.equal((await server.admin('PUT', '/service-providers/X', { displayName: 'X' })).status, 201);
      assert.equal((await server.admin('PUT', '/domains/anonymous/fixed', { maxMembership: 3 })).status, 201);
      // The demo provider makes its keys on first use: before any snapshot.
      assert.equal((await send({ path: '/demo-mvpd/DemoCable/.well-known/openid-configuration' })).status, 200);
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    describe('characters PostgreSQL text cannot store', () => {
      it('refuses NUL in path parameters with the endpoint’s error', async () => {
        await refused(400, [
          { path: '/api/v2/%00/configuration', headers: bearer() },
          { path: `/api/v2/%00/logout/DemoCable?redirectUrl=${encodeURIComponent(REDIRECT)}`, headers: bearer() },
          {
            path: `/api/v2/${SP}/logout/%00?redirectUrl=${encodeURIComponent(REDIRECT)}`,
            headers: { ...bearer(), ...device('tv') },
          },
          { path: `/api/v2/${SP}/sessions/%00AAAAAA`, headers: bearer() },
          { path: '/api/v2/authenticate/DemoChannel/%00AAAAAA' },
          { path: '/api/v2/logout-flow/%00' },
          { path: '/admin/v1/service-providers/%00', headers: admin() },
          { path: '/admin/v1/domains/anonymous/a%00b', headers: admin() },
          {
            method: 'PUT',
            path: '/admin/v1/domains/identity/ns%3Aa%00',
            headers: admin(),
            contentType: 'application/json',
            body: '{}',
          },
          {
            method: 'POST',
            path: '/flashaccess/domainserver/%00/flashaccess/domain/v4',
            contentType: 'application/jose',
            body: 'x.y.z',
          },
          { path: '/demo-mvpd/%00/.well-known/openid-configuration' },
          { path: '/%00' },
        ]);
      });

      it('refuses NUL in query strings with the endpoint’s error', async () => {
        await refused(400, [
          { method: 'POST', path: '/o/client/token?client_id=%00&client_secret=x&grant_type=client_credentials' },
          { path: '/admin/v1/domains?q=%00', headers: admin() },
          { path: '/admin/v1/integrations?serviceProvider=%00', headers: admin() },
          { path: `/api/v2/${SP}/configuration?profile=%00`, headers: bearer() },
          {
            path: `/api/v2/${SP}/logout/DemoCable?redirectUrl=${encodeURIComponent(`${REDIRECT}?a=\u0000`)}`,
            headers: { ...bearer(), ...device('tv') },
          },
          { path: '/api/v2/mvpd-logout-callback/DemoCable?state=%00' },
          { path: '/api/v2/mvpd-callback/DemoCable?state=%00&code=x' },
          { path: '/demo-mvpd/DemoCable/auth?client_id=%00' },
        ]);
      });

      it('refuses NUL and lone surrogates in form and JSON bodies with the endpoint’s error', async () => {
        const form = 'application/x-www-form-urlencoded';
        const json = 'application/json';
        await refused(400, [
          {
            method: 'POST',
            path: '/o/client/token',
            contentType: form,
            body: 'client_id=%00&client_secret=x&grant_type=client_credentials',
          },
          {
            method: 'POST',
            path: '/o/client/token',
            contentType: form,
            body: `client_id=${client.client_id}&client_secret=%00&grant_type=client_credentials`,
          },
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: json,
            body: JSON.stringify({ software_statement: '\u0000' }),
          },
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: json,
            body: JSON.stringify({ software_statement: statement, redirect_uri: '\ud800' }),
          },
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: json,
            body: JSON.stringify({ software_statement: statement, extra: 'a\u0000' }),
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/sessions`,
            headers: { ...bearer(), ...device('tv') },
            contentType: form,
            body: `mvpd=DemoCable&domainName=localhost&redirectUrl=${encodeURIComponent(`${REDIRECT}\u0000`)}`,
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/decisions/authorize/DemoCable`,
            headers: { ...bearer(), ...device('tv') },
            contentType: json,
            body: JSON.stringify({ resources: ['Demo\u0000Channel'] }),
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/decisions/preauthorize/DemoCable`,
            headers: { ...bearer(), ...device('tv') },
            contentType: json,
            body: JSON.stringify({ resources: ['\udc00'] }),
          },
          {
            method: 'POST',
            path: '/api/v2/saml-acs/DemoCable',
            contentType: form,
            body: 'SAMLResponse=x&RelayState=%00',
          },
          {
            method: 'PUT',
            path: '/admin/v1/service-providers/X',
            headers: admin(),
            contentType: json,
            body: JSON.stringify({ displayName: 'a\u0000b' }),
          },
          {
            method: 'PUT',
            path: '/admin/v1/service-providers/X',
            headers: admin(),
            contentType: json,
            body: JSON.stringify({ displayName: 'a\ud800b' }),
          },
          {
            method: 'PUT',
            path: '/admin/v1/service-providers/Y',
            headers: admin(),
            contentType: json,
            body: JSON.stringify({ displayName: '\udfff' }),
          },
          {
            method: 'PUT',
            path: '/admin/v1/domains/anonymous/fixed',
            headers: admin(),
            contentType: json,
            body: JSON.stringify({ authNamespace: 'ns\u0000' }),
          },
          {
            method: 'POST',
            path: '/admin/v1/applications',
            headers: admin(),
            contentType: json,
            body: JSON.stringify({ name: 'n\u0000', serviceProviders: [SP], redirectDomains: ['app.example'] }),
          },
        ]);
      });

      it('refuses NUL and lone surrogates in the X-Device-Info header’s JSON', async () => {
        const info = (model: string) =>
          Buffer.from(
            `{"model":${JSON.stringify(model)},"version":"1","osName":"a","osVersion":"1","connectionType":"LAN"}`,
          ).toString('base64');
        for (const model of ['TV\u0000', 'TV\ud800']) {
          const before = await snapshotAll(server.domus.storage);
          const answer = await send({
            method: 'POST',
            path: `/api/v2/${SP}/sessions`,
            headers: {
              ...bearer(),
              'ap-device-identifier': device('tv')['ap-device-identifier'] ?? '',
              'x-device-info': info(model),
            },
            contentType: 'application/x-www-form-urlencoded',
            body: 'mvpd=DemoCable',
          });
          assert.equal(answer.status, 400, answer.text);
          assert.equal(answer.body.code, 'invalid_header_device_info');
          assert.deepEqual(await snapshotAll(server.domus.storage), before);
        }
      });

      it('looks up nothing a demo provider could not have stored', async () => {
        const mvpd = await server.domus.entitlements.store.mvpd('DemoCable');
        assert.equal(mvpd?.connection.kind, 'builtin');
        const { clientId, clientSecret } = mvpd.connection as { clientId: string; clientSecret: string };
        const form = 'application/x-www-form-urlencoded';
        const code = 'grant_type=authorization_code&redirect_uri=x&code_verifier=y';
        const before = await snapshotAll(server.domus.storage);
        for (const [path, body] of [
          ['/demo-mvpd/DemoCable/token', `${code}&code=a&client_id=%00&client_secret=z`],
          ['/demo-mvpd/DemoCable/token', `${code}&code=%00&client_id=${clientId}&client_secret=${clientSecret}`],
          ['/demo-mvpd/DemoCable/me', 'access_token=a%00b'],
        ] as const) {
          const answer = await send({ method: 'POST', path, contentType: form, body });
          assert.ok(answer.status >= 400 && answer.status < 500, `${path} ${body}: ${answer.status} ${answer.text}`);
          assert.equal(shapeProblem('demo', answer), undefined);
        }
        assert.deepEqual(await snapshotAll(server.domus.storage), before);
      });
    });

    describe('unsupported media types', () => {
      it('refuses a text/plain session create and stores no session', async () => {
        const before = await server.domus.storage.db.selectFrom('authentication_sessions').selectAll().execute();
        for (const contentType of [
          'text/plain',
          'application/json',
          'application/xml',
          'multipart/form-data; boundary=x',
        ]) {
          const answer = await send({
            method: 'POST',
            path: `/api/v2/${SP}/sessions`,
            headers: { ...bearer(), ...device('tv') },
            contentType,
            body: contentType === 'application/json' ? '{"mvpd":"DemoCable"}' : 'mvpd=DemoCable&domainName=localhost',
          });
          assert.equal(answer.status, 400, `${contentType}: ${answer.text}`);
          assert.equal(answer.body.code, 'invalid_request', answer.text);
          assert.equal(shapeProblem('v2', answer), undefined);
        }
        assert.deepEqual(
          await server.domus.storage.db.selectFrom('authentication_sessions').selectAll().execute(),
          before,
        );
      });

      it('refuses a body of a media type the endpoint does not take, everywhere, changing nothing', async () => {
        const text = 'text/plain';
        await refused(400, [
          {
            method: 'POST',
            path: `/api/v2/${SP}/sessions/ABCDEFG`,
            headers: bearer(),
            contentType: text,
            body: 'mvpd=DemoCable',
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/decisions/authorize/DemoCable`,
            headers: { ...bearer(), ...device('tv') },
            contentType: text,
            body: '{"resources":["DemoChannel"]}',
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/decisions/authorize/DemoCable`,
            headers: { ...bearer(), ...device('tv') },
            contentType: 'application/x-www-form-urlencoded',
            body: 'resources=DemoChannel',
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/tokens/domain/DemoCable`,
            headers: { ...bearer(), ...device('tv') },
            contentType: text,
            body: 'x',
          },
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: text,
            body: JSON.stringify({ software_statement: statement }),
          },
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: 'application/x-www-form-urlencoded',
            body: `software_statement=${statement}`,
          },
          {
            method: 'POST',
            path: '/o/client/token',
            contentType: text,
            body: `client_id=${client.client_id}&client_secret=${client.client_secret}&grant_type=client_credentials`,
          },
          {
            method: 'POST',
            path: '/o/client/token',
            contentType: 'application/json',
            body: JSON.stringify({ ...client, grant_type: 'client_credentials' }),
          },
          {
            method: 'PUT',
            path: '/admin/v1/service-providers/Z',
            headers: admin(),
            contentType: text,
            body: '{"displayName":"Z"}',
          },
          { method: 'PUT', path: '/admin/v1/domains/anonymous/fresh', headers: admin(), contentType: text, body: '{}' },
          {
            method: 'PUT',
            path: '/admin/v1/domains/anonymous/fresh',
            headers: admin(),
            contentType: 'application/x-www-form-urlencoded',
            body: 'maxMembership=1',
          },
          {
            method: 'POST',
            path: '/api/v2/saml-acs/DemoCable',
            contentType: 'application/json',
            body: '{"SAMLResponse":1}',
          },
          {
            method: 'POST',
            path: '/flashaccess/domainserver/fresh/flashaccess/domain/v4',
            contentType: text,
            body: 'x.y.z',
          },
          { method: 'POST', path: '/flashaccess/indiv/v1', contentType: 'application/json', body: '{}' },
        ]);
        assert.equal((await server.admin('GET', '/service-providers/Z')).status, 404);
        assert.equal((await server.admin('GET', '/domains/anonymous/fresh')).status, 404);
      });
    });

    describe('no type coercion', () => {
      it('refuses a software statement sent as an array and registers nothing', async () => {
        await refused(400, [
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: 'application/json',
            body: JSON.stringify({ software_statement: [statement] }),
          },
          {
            method: 'POST',
            path: '/o/client/register',
            contentType: 'application/json',
            body: JSON.stringify({ software_statement: statement, redirect_uri: [REDIRECT] }),
          },
        ]);
      });

      it('refuses a domain policy of the wrong types with 400 and changes nothing', async () => {
        const json = 'application/json';
        const put = (body: unknown): Sent => ({
          method: 'PUT',
          path: '/admin/v1/domains/anonymous/fixed',
          headers: admin(),
          contentType: json,
          body: JSON.stringify(body),
        });
        await refused(400, [
          put({ authNamespace: 12345, maxMembership: '7' }),
          put({ authNamespace: 12345 }),
          put({ maxMembership: '7' }),
          put({ maxMembership: 7.5 }),
          put({ maxMembership: true }),
          put({ authRequired: 'true' }),
          put({ authRequired: 1 }),
          put({ disabled: 'false' }),
          put({ authNamespace: ['ns'] }),
          put({ maxMembership: [3] }),
          put({ removalLimit: { removals: 1 } }),
          put({ removalLimit: { removals: 0, periodSeconds: 3600 } }),
          put({ removalLimit: { removals: 1, periodSeconds: 3600, extra: 1 } }),
          put({ removalLimit: '1/3600' }),
          put({ evictAfterSeconds: 60 }),
          put({ evictAfterSeconds: '86400' }),
          put({ keyRetentionSeconds: -1 }),
          put({ keyRetentionSeconds: 1.5 }),
          { ...put({}), path: '/admin/v1/domains/anonymous/brand-new', body: JSON.stringify({ maxMembership: '7' }) },
        ]);
        const domain = await server.admin('GET', '/domains/anonymous/fixed');
        assert.deepEqual(domain.body.policy, {
          authRequired: false,
          authNamespace: null,
          maxMembership: 3,
          disabled: false,
          removalLimit: null,
          evictAfterSeconds: null,
          keyRetentionSeconds: null,
        });
        assert.equal((await server.admin('GET', '/domains/anonymous/brand-new')).status, 404);
      });

      it('refuses operator objects of the wrong types', async () => {
        const json = 'application/json';
        await refused(400, [
          {
            method: 'PUT',
            path: '/admin/v1/service-providers/X',
            headers: admin(),
            contentType: json,
            body: '{"displayName":123}',
          },
          {
            method: 'PUT',
            path: '/admin/v1/integrations/DemoChannel/DemoCable',
            headers: admin(),
            contentType: json,
            body: '{"active":"false"}',
          },
          {
            method: 'PUT',
            path: '/admin/v1/integrations/DemoChannel/DemoCable',
            headers: admin(),
            contentType: json,
            body: '{"active":0}',
          },
          {
            method: 'POST',
            path: '/admin/v1/applications',
            headers: admin(),
            contentType: json,
            body: JSON.stringify({ name: 'n', serviceProviders: SP, redirectDomains: ['app.example'] }),
          },
          {
            method: 'POST',
            path: `/api/v2/${SP}/decisions/preauthorize/DemoCable`,
            headers: { ...bearer(), ...device('tv') },
            contentType: json,
            body: JSON.stringify({ resources: 'DemoChannel' }),
          },
        ]);
      });

      it('still reads numbers the contract takes from a query string, and only numbers', async () => {
        const listed = await send({ path: '/admin/v1/domains?limit=1', headers: admin() });
        assert.equal(listed.status, 200, listed.text);
        assert.equal(listed.body.items.length, 1);
        await refused(400, [
          { path: '/admin/v1/domains?limit=abc', headers: admin() },
          { path: '/admin/v1/domains?limit=0x10', headers: admin() },
          { path: '/admin/v1/domains?limit=1e2', headers: admin() },
          { path: '/admin/v1/domains?limit=', headers: admin() },
          { path: '/admin/v1/domains?limit=0', headers: admin() },
          { path: '/admin/v1/domains?limit=501', headers: admin() },
          { path: '/admin/v1/domains?limit=1&limit=2', headers: admin() },
          { path: '/admin/v1/domains?mode=anonymous&mode=identity', headers: admin() },
          { path: '/admin/v1/domains/anonymous/fixed/members?limit=-1', headers: admin() },
        ]);
      });
    });

    describe('URLs the router cannot take', () => {
      const long = 'a'.repeat(3000);
      it('answers a bad percent-encoding in the wire format of the path', async () => {
        await refused(400, [
          {
            method: 'POST',
            path: '/flashaccess/domainserver/%c3%28/flashaccess/domain/v4',
            contentType: 'application/jose',
            body: 'x.y.z',
          },
          {
            method: 'POST',
            path: '/flashaccess/domainserver/%zz/flashaccess/dereg/v3',
            contentType: 'application/jose',
            body: 'x.y.z',
          },
          { path: '/api/v2/%c3%28/configuration', headers: bearer() },
          { path: '/api/v2/DemoChannel/configuration?profile=%c3%28', headers: bearer() },
          { path: '/api/v2/authenticate/DemoChannel/%ED%A0%80' },
          {
            method: 'POST',
            path: '/o/client/token?client_id=%e2%82',
            contentType: 'application/x-www-form-urlencoded',
            body: '',
          },
          { method: 'POST', path: '/o/%c3%28' },
          { path: '/admin/v1/domains/anonymous/%c3%28', headers: admin() },
          { path: '/admin/v1/domains?q=%', headers: admin() },
          { path: '/demo-mvpd/%c3%28/.well-known/openid-configuration' },
          { path: '/%c3%28' },
        ]);
      });

      it('answers an over-long path parameter in the wire format of the path', async () => {
        await refused(400, [
          {
            method: 'POST',
            path: `/flashaccess/domainserver/${long}/flashaccess/domain/v4`,
            contentType: 'application/jose',
            body: 'x.y.z',
          },
          { path: `/flashaccess/domainserver/${long}/flashaccess/getServerVersion/v3` },
          { path: `/api/v2/${long}/configuration`, headers: bearer() },
          { path: `/api/v2/${SP}/profiles/${long}`, headers: { ...bearer(), ...device('tv') } },
          { path: `/api/v2/authenticate/${SP}/${long}` },
          { path: `/admin/v1/domains/anonymous/${long}`, headers: admin() },
          { path: `/admin/v1/service-providers/${long}`, headers: admin() },
        ]);
      });

      it('answers a path no route serves in the wire format of the path', async () => {
        const check = async (status: number, request: Sent) => {
          const answer = await send(request);
          assert.equal(answer.status, status, `${request.path}: ${answer.text}`);
          const problem = shapeProblem(wireFormatOf(request.path), answer);
          assert.equal(problem, undefined, `${request.path}: ${problem}`);
        };
        await check(404, { path: '/flashaccess/nothing/here' });
        await check(404, { method: 'GET', path: '/flashaccess/domain/v4' });
        await check(404, { path: '/api/v2/a/b/c/d/e' });
        await check(405, { method: 'DELETE', path: `/api/v2/${SP}/configuration`, headers: bearer() });
        await check(404, { method: 'POST', path: '/o/client/nothing' });
        await check(405, { method: 'GET', path: '/o/client/register' });
        await check(404, { path: '/admin/v1/nothing', headers: admin() });
        await check(404, { path: '/nothing' });
      });
    });
  });
}
