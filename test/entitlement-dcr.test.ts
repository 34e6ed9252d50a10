/**
 * Dynamic Client Registration (docs/entitlement-api.md, "App integration") on every database,
 * checked against Adobe's DCR OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { STATEMENT_ISSUER } from '../src/entitlements/operator/software-statements.js';
import { newP256KeyPair } from '../src/platform/crypto/p256.js';
import { adobeRequestErrors, assertAdobeResponse } from './support/adobe-contract.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import {
  type Answer,
  call,
  deviceInfoHeader,
  fetchToken,
  registerClient,
  softwareStatement,
} from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';

for (const kind of testDatabases()) {
  describe(`DCR on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let statement: string;

    const register = (json: unknown, headers: Record<string, string> = {}) =>
      call(server.url, 'POST', '/o/client/register', { json, headers });
    const token = (form: Record<string, string>) => call(server.url, 'POST', '/o/client/token', { form });
    const registrations = async () =>
      (await server.domus.storage.db.selectFrom('client_registrations').selectAll().execute()).length;
    /** A refused DCR request: 400, the OAuth code, an Adobe-conformant answer, and no registration stored. */
    const refused = async (answer: Promise<Answer>, error: string, pathname: string) => {
      const before = await registrations();
      const result = await answer;
      assert.equal(result.status, 400, JSON.stringify(result.body));
      assert.equal(result.body.error, error);
      assert.equal(typeof result.body.error_description, 'string');
      await assertAdobeResponse('POST', pathname, result);
      assert.equal(await registrations(), before);
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      statement = await softwareStatement(server.admin);
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('registers a client with a software statement: 201 and Adobe’s ClientApplication', async () => {
      const request = {
        method: 'POST',
        url: '/o/client/register',
        headers: { 'content-type': 'application/json', 'x-device-info': deviceInfoHeader() },
        body: { software_statement: statement, redirect_uri: 'http://localhost:3000/done' },
      };
      assert.deepEqual(await adobeRequestErrors(request), []);
      const before = Math.floor(Date.now() / 1000);
      const answer = await register(request.body, { 'x-device-info': deviceInfoHeader() });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      await assertAdobeResponse('POST', '/o/client/register', answer);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      const body = answer.body;
      assert.deepEqual(Object.keys(body).sort(), [
        'client_id',
        'client_id_issued_at',
        'client_secret',
        'grant_types',
        'redirect_uris',
        'scopes',
      ]);
      assert.deepEqual(body.redirect_uris, ['http://localhost:3000/done']);
      assert.deepEqual(body.grant_types, ['client_credentials']);
      assert.deepEqual(body.scopes, ['api:client:v2']);
      assert.ok(body.client_id_issued_at >= before && body.client_id_issued_at <= before + 5, 'issued_at in seconds');
      assert.ok(body.client_secret.length >= 40);

      const row = await server.domus.storage.db
        .selectFrom('client_registrations')
        .selectAll()
        .where('client_id', '=', body.client_id)
        .executeTakeFirstOrThrow();
      assert.equal(row.application_id, 'demo-app');
      assert.equal(JSON.stringify(row).includes(body.client_secret), false, 'the secret is stored only as a hash');
    });

    it('registers without redirect_uri and without X-Device-Info (both optional in Domus)', async () => {
      const answer = await register({ software_statement: statement });
      assert.equal(answer.status, 201);
      assert.deepEqual(answer.body.redirect_uris, []);
      await assertAdobeResponse('POST', '/o/client/register', answer);
    });

    it('ignores client metadata it does not understand (RFC 7591 §2)', async () => {
      const answer = await register({ software_statement: statement, client_name: 'My app', contacts: ['a@b.c'] });
      assert.equal(answer.status, 201);
    });

    it('refuses malformed registrations with invalid_request', async () => {
      await refused(register({}), 'invalid_request', '/o/client/register');
      await refused(register({ software_statement: {} }), 'invalid_request', '/o/client/register');
      await refused(register({ software_statement: '' }), 'invalid_request', '/o/client/register');
      await refused(
        call(server.url, 'POST', '/o/client/register', {
          headers: { 'content-type': 'application/json' },
          json: undefined,
        }),
        'invalid_request',
        '/o/client/register',
      );
      const notJson = fetch(`${server.url}/o/client/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"software_statement":',
      }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }));
      await refused(notJson, 'invalid_request', '/o/client/register');
      const form = call(server.url, 'POST', '/o/client/register', { form: { software_statement: statement } });
      await refused(form, 'invalid_request', '/o/client/register');
      const badDevice = register({ software_statement: statement }, { 'x-device-info': 'not base64 JSON!' });
      await refused(badDevice, 'invalid_request', '/o/client/register');
      const incompleteDevice = register(
        { software_statement: statement },
        { 'x-device-info': deviceInfoHeader({ model: 'x' }) },
      );
      await refused(incompleteDevice, 'invalid_request', '/o/client/register');
    });

    it('refuses statements it did not sign with invalid_software_statement', async () => {
      await refused(register({ software_statement: 'not.a.jwt' }), 'invalid_software_statement', '/o/client/register');
      const current = decodeJwt(statement);
      const forger = newP256KeyPair().privateKey;
      const forged = await new SignJWT({ ...current })
        .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(statement).kid as string })
        .sign(forger);
      await refused(register({ software_statement: forged }), 'invalid_software_statement', '/o/client/register');
      const [header, payload] = statement.split('.');
      const tampered = `${header}.${payload}.${'A'.repeat(86)}`;
      await refused(register({ software_statement: tampered }), 'invalid_software_statement', '/o/client/register');
      assert.equal(current.iss, STATEMENT_ISSUER);
    });

    it('refuses a replaced statement, a deleted application’s and one without the V2 scope: unapproved_software_statement', async () => {
      const app = await server.admin('POST', '/applications', {
        name: 'Rotating',
        serviceProviders: ['DemoChannel'],
        redirectDomains: ['app.example'],
      });
      const old = await softwareStatement(server.admin, app.body.id);
      const rotated = (await server.admin('POST', `/applications/${app.body.id}/software-statement`)).body
        .software_statement;
      await refused(register({ software_statement: old }), 'unapproved_software_statement', '/o/client/register');
      assert.equal((await register({ software_statement: rotated })).status, 201);
      await server.admin('DELETE', `/applications/${app.body.id}`);
      await refused(register({ software_statement: rotated }), 'unapproved_software_statement', '/o/client/register');

      const v1 = await server.admin('POST', '/applications', {
        name: 'V1 only',
        serviceProviders: ['DemoChannel'],
        redirectDomains: ['app.example'],
        scopes: ['config:client'],
      });
      const v1Statement = await softwareStatement(server.admin, v1.body.id);
      await refused(
        register({ software_statement: v1Statement }),
        'unapproved_software_statement',
        '/o/client/register',
      );
    });

    it('refuses a redirect_uri outside the application’s redirect domains with invalid_redirect_uri', async () => {
      for (const redirectUri of [
        'https://evil.example/cb',
        'not a url',
        'javascript:alert(1)',
        'http://user@localhost/',
      ]) {
        await refused(
          register({ software_statement: statement, redirect_uri: redirectUri }),
          'invalid_redirect_uri',
          '/o/client/register',
        );
      }
    });

    it('issues access tokens from a form body or the query string: 201 and Adobe’s token answer', async () => {
      const client = await registerClient(server.url, statement);
      const params = { ...client, grant_type: 'client_credentials' };
      const query = `/o/client/token?${new URLSearchParams(params)}`;
      assert.deepEqual(await adobeRequestErrors({ method: 'POST', url: query }), []);
      assert.deepEqual(
        await adobeRequestErrors({
          method: 'POST',
          url: '/o/client/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: params,
        }),
        [],
      );

      const started = Date.now();
      for (const answer of [await token(params), await call(server.url, 'POST', query)]) {
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        await assertAdobeResponse('POST', '/o/client/token', answer);
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        const body = answer.body;
        assert.deepEqual(Object.keys(body).sort(), ['access_token', 'created_at', 'expires_in', 'id', 'token_type']);
        assert.equal(body.token_type, 'bearer');
        assert.equal(body.expires_in, 21_600);
        assert.ok(body.created_at >= started - 1000 && body.created_at <= Date.now(), 'created_at in milliseconds');
        assert.equal(decodeProtectedHeader(body.access_token).alg, 'ES256');
        const claims = decodeJwt(body.access_token);
        assert.equal(claims.sub, client.client_id);
        assert.equal(claims.scopes, 'api:client:v2');
        assert.equal(claims.jti, body.id);
        assert.equal(claims.nbf, claims.iat);
        assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 21_600);
      }
      const both = await call(server.url, 'POST', query, { form: params });
      assert.equal(both.status, 201, 'the same values in body and query are accepted');
    });

    it('refuses bad token requests with the OAuth error codes', async () => {
      const client = await registerClient(server.url, statement);
      const good = { ...client, grant_type: 'client_credentials' };
      const refuse = async (answer: Promise<Answer>, error: string) => {
        const result = await answer;
        assert.equal(result.status, 400, JSON.stringify(result.body));
        assert.equal(result.body.error, error);
        await assertAdobeResponse('POST', '/o/client/token', result);
      };
      await refuse(token({ client_id: client.client_id, grant_type: 'client_credentials' }), 'invalid_request');
      await refuse(token({ client_secret: client.client_secret, grant_type: 'client_credentials' }), 'invalid_request');
      await refuse(token({ ...client }), 'invalid_request');
      await refuse(call(server.url, 'POST', '/o/client/token'), 'invalid_request');
      await refuse(token({ ...good, grant_type: 'refresh_token' }), 'unsupported_grant_type');
      await refuse(token({ ...good, grant_type: 'password' }), 'unsupported_grant_type');
      await refuse(token({ ...good, client_secret: `${client.client_secret}x` }), 'invalid_client');
      await refuse(token({ ...good, client_id: '00000000-0000-4000-8000-000000000000' }), 'invalid_client');
      const twice = `/o/client/token?${new URLSearchParams({ ...good, client_secret: 'other' })}`;
      await refuse(call(server.url, 'POST', twice, { form: good }), 'invalid_request');
      const repeated = fetch(`${server.url}/o/client/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `${new URLSearchParams(good)}&grant_type=client_credentials`,
      }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }));
      await refuse(repeated, 'invalid_request');
      await refuse(
        call(server.url, 'POST', '/o/client/token', { headers: { 'content-type': 'text/plain' } }),
        'invalid_request',
      );
      await refuse(call(server.url, 'POST', '/o/client/token', { json: good }), 'invalid_request');
      assert.equal((await token(good)).status, 201, 'the client still works after refused attempts');
    });

    it('gives no more tokens to a client whose statement was replaced: unauthorized_client', async () => {
      const app = await server.admin('POST', '/applications', {
        name: 'Revoked',
        serviceProviders: ['DemoChannel'],
        redirectDomains: ['app.example'],
      });
      const client = await registerClient(server.url, await softwareStatement(server.admin, app.body.id));
      assert.ok(await fetchToken(server.url, client));
      await server.admin('POST', `/applications/${app.body.id}/software-statement`);
      const answer = await token({ ...client, grant_type: 'client_credentials' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'unauthorized_client');
      await assertAdobeResponse('POST', '/o/client/token', answer);
    });

    it('signs tokens with the configured lifetime and verifies only its own, unexpired ones', async () => {
      const tokens = server.domus.entitlements.accessTokens;
      const issued = tokens.issue('some-client', ['api:client:v2']);
      assert.deepEqual(tokens.verify(issued.token), {
        clientId: 'some-client',
        scopes: ['api:client:v2'],
        tokenId: issued.id,
      });
      const old = tokens.issue('some-client', ['api:client:v2'], Date.now() - 21_601_000);
      assert.equal(tokens.verify(old.token), null, 'expired');
      const future = tokens.issue('some-client', ['api:client:v2'], Date.now() + 120_000);
      assert.equal(tokens.verify(future.token), null, 'not yet valid');
      const [h, p, s] = issued.token.split('.');
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
      const other = Buffer.from(JSON.stringify({ ...claims, sub: 'another-client' })).toString('base64url');
      assert.equal(tokens.verify(`${h}.${other}.${s}`), null, 'tampered');
      assert.equal(tokens.verify(statement), null, 'a software statement is no access token');
      // Checked once, the token is remembered, and still ages: valid until exp, never after.
      const ttlMs = issued.expiresInS * 1000;
      assert.ok(tokens.verify(issued.token, issued.createdAt + ttlMs - 1000), 'remembered, before exp');
      assert.equal(tokens.verify(issued.token, issued.createdAt + ttlMs + 1000), null, 'remembered, after exp');
      const remembered = tokens.verify(issued.token);
      assert.ok(remembered && Object.isFrozen(remembered) && Object.isFrozen(remembered.scopes), 'shared, so frozen');

      const short = await startTestServer(database, {
        DOMUS_ACCESS_TOKEN_TTL_S: '120',
        DOMUS_MASTER_KEY: server.domus.secrets.masterKey.toString('base64'),
      });
      try {
        const client = await registerClient(short.url, statement);
        const answer = await token({ ...client, grant_type: 'client_credentials' });
        const shortAnswer = await call(short.url, 'POST', '/o/client/token', {
          form: { ...client, grant_type: 'client_credentials' },
        });
        assert.equal(shortAnswer.body.expires_in, 120);
        const claimsShort = decodeJwt(shortAnswer.body.access_token);
        assert.equal((claimsShort.exp ?? 0) - (claimsShort.iat ?? 0), 120);
        assert.equal(answer.status, 201, 'both processes share the registrations');
        assert.ok(tokens.verify(shortAnswer.body.access_token), 'both processes share the signing key');
      } finally {
        await short.close();
      }
    });
  });
}
