/** The entitlement API's operator model through the admin API, on every database. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { sql } from 'kysely';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const mvpdBody = {
  displayName: 'Example Cable',
  logoUrl: 'https://cable.example/logo.png',
  protocol: 'oidc',
  connection: {
    kind: 'oidc',
    issuer: 'https://idp.cable.example',
    clientId: 'domus',
    clientSecret: 'very-secret-value',
  },
  hasLogoutEndpoint: true,
  authnTtlS: 86_400,
  authzTtlS: 300,
  entitlementClaim: 'channels',
  authNamespace: 'cable.example',
};

for (const kind of testDatabases()) {
  describe(`operator admin API on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('seeds the demo data into an empty database', async () => {
      assert.deepEqual((await server.admin('GET', '/service-providers')).body.items, [
        { id: 'DemoChannel', displayName: 'Demo Channel' },
      ]);
      const mvpds = (await server.admin('GET', '/mvpds')).body.items;
      assert.deepEqual(
        mvpds.map((m: { id: string; hasLogoutEndpoint: boolean; authNamespace: string }) => [
          m.id,
          m.hasLogoutEndpoint,
          m.authNamespace,
        ]),
        [
          ['DemoCable', true, 'DemoCable'],
          ['DemoSat', false, 'DemoSat'],
        ],
      );
      const integrations = (await server.admin('GET', '/integrations?serviceProvider=DemoChannel')).body.items;
      assert.equal(integrations.length, 2);
      assert.ok(integrations.every((i: { active: boolean }) => i.active));
      const app = (await server.admin('GET', '/applications/demo-app')).body;
      assert.deepEqual(app.redirectDomains, ['localhost', '127.0.0.1']);
      assert.deepEqual(app.serviceProviders, ['DemoChannel']);
    });

    it('creates, updates and deletes service providers', async () => {
      assert.equal((await server.admin('PUT', '/service-providers/REF30', { displayName: 'Ref' })).status, 201);
      assert.equal((await server.admin('PUT', '/service-providers/REF30', { displayName: 'Reference' })).status, 200);
      assert.equal((await server.admin('GET', '/service-providers/REF30')).body.displayName, 'Reference');
      assert.equal((await server.admin('PUT', '/service-providers/bad%20id', { displayName: 'x' })).status, 400);
      assert.equal((await server.admin('PUT', '/service-providers/X', { displayName: '' })).status, 400);
      assert.equal((await server.admin('DELETE', '/service-providers/REF30')).status, 204);
      assert.equal((await server.admin('GET', '/service-providers/REF30')).status, 404);
    });

    it('keeps MVPD client secrets sealed and never answers them', async () => {
      const created = await server.admin('PUT', '/mvpds/ExampleCable', mvpdBody);
      assert.equal(created.status, 201);
      assert.equal(JSON.stringify(created.body).includes('very-secret-value'), false);
      const read = await server.admin('GET', '/mvpds/ExampleCable');
      assert.equal(read.body.connection.clientId, 'domus');
      assert.equal(JSON.stringify(read.body).includes('very-secret-value'), false);
      const stored = await sql<{ connection: string }>`select connection from mvpds where id = 'ExampleCable'`.execute(
        server.domus.storage.db,
      );
      assert.equal(stored.rows[0]?.connection.includes('very-secret-value'), false);
      const loaded = await server.domus.entitlements.store.mvpd('ExampleCable');
      assert.equal(JSON.stringify(loaded).includes('very-secret-value'), false, 'no serialization carries it');
      assert.equal(
        loaded?.connection.kind === 'oidc' && loaded.connection.clientSecret,
        'very-secret-value',
        'unsealed when read',
      );
      assert.equal((await server.admin('PUT', '/mvpds/ExampleCable', { ...mvpdBody, authnTtlS: 1 })).status, 400);
      assert.equal((await server.admin('PUT', '/mvpds/ExampleCable', { ...mvpdBody, extra: 1 })).status, 400);
    });

    it('keeps the stored client secret when an update leaves it out; a new OIDC MVPD needs one', async () => {
      const { clientSecret: _secret, ...withoutSecret } = mvpdBody.connection;
      const updated = await server.admin('PUT', '/mvpds/ExampleCable', {
        ...mvpdBody,
        connection: { ...withoutSecret, clientId: 'domus-2' },
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      const loaded = await server.domus.entitlements.store.mvpd('ExampleCable');
      assert.equal(loaded?.connection.kind === 'oidc' && loaded.connection.clientId, 'domus-2');
      assert.equal(loaded?.connection.kind === 'oidc' && loaded.connection.clientSecret, 'very-secret-value');

      const created = await server.admin('PUT', '/mvpds/NoSecretCable', { ...mvpdBody, connection: withoutSecret });
      assert.equal(created.status, 400);
      assert.equal(created.body.error.field, 'connection.clientSecret');
      assert.equal((await server.admin('GET', '/mvpds/NoSecretCable')).status, 404);
    });

    it('names the body field at fault, in the kind of connection given', async () => {
      const saml = {
        kind: 'saml',
        idpEntityId: 'https://idp.sat.example',
        ssoUrl: 'https://idp.sat.example/sso',
        certificates: ['-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----'],
      };
      const samlBody = { ...mvpdBody, protocol: 'saml', hasLogoutEndpoint: false, connection: saml };
      const cases: [body: unknown, field: string][] = [
        [{ ...mvpdBody, connection: { ...mvpdBody.connection, issuer: 'idp.cable.example' } }, 'connection.issuer'],
        [{ ...mvpdBody, connection: { ...mvpdBody.connection, extra: 1 } }, 'connection.extra'],
        [{ ...samlBody, connection: { ...saml, ssoUrl: 'sso' } }, 'connection.ssoUrl'],
        [{ ...samlBody, connection: { ...saml, certificates: [] } }, 'connection.certificates'],
        [samlBody, 'connection.certificates.0'],
        [{ ...samlBody, hasLogoutEndpoint: true }, 'connection.sloUrl'],
        [{ ...mvpdBody, connection: { kind: 'radius' } }, 'connection.kind'],
        [{ ...mvpdBody, protocol: 'saml', connection: { kind: 'builtin' } }, 'protocol'],
        [{ ...mvpdBody, authzTtlS: -1 }, 'authzTtlS'],
      ];
      for (const [body, field] of cases) {
        const answer = await server.admin('PUT', '/mvpds/FieldCable', body);
        assert.equal(answer.status, 400, field);
        assert.equal(answer.body.error.code, 'invalid_request', field);
        assert.equal(answer.body.error.field, field, answer.body.error.message);
      }
      assert.equal((await server.admin('GET', '/mvpds/FieldCable')).status, 404);
      const application = await server.admin('POST', '/applications', {
        name: 'App',
        serviceProviders: ['DemoChannel', 'NoSuchSp'],
        redirectDomains: ['app.example'],
      });
      assert.equal(application.status, 400);
      assert.equal(application.body.error.field, 'serviceProviders.1');
    });

    it('links service providers and MVPDs through integrations', async () => {
      await server.admin('PUT', '/service-providers/SP1', { displayName: 'SP one' });
      assert.equal((await server.admin('PUT', '/integrations/SP1/ExampleCable', { active: true })).status, 201);
      assert.equal((await server.admin('PUT', '/integrations/SP1/ExampleCable', { active: false })).status, 200);
      assert.equal((await server.admin('GET', '/integrations/SP1/ExampleCable')).body.active, false);
      assert.equal((await server.admin('PUT', '/integrations/SP1/NoSuchMvpd', { active: true })).status, 404);
      assert.equal((await server.admin('PUT', '/integrations/NoSuchSp/ExampleCable', { active: true })).status, 404);
      assert.equal((await server.admin('DELETE', '/integrations/SP1/ExampleCable')).status, 204);
      assert.equal((await server.admin('GET', '/integrations/SP1/ExampleCable')).status, 404);
    });

    it('registers applications and signs and revokes their software statements', async () => {
      const bad = await server.admin('POST', '/applications', {
        name: 'App',
        serviceProviders: ['NoSuchSp'],
        redirectDomains: ['app.example'],
      });
      assert.equal(bad.status, 400);
      const created = await server.admin('POST', '/applications', {
        name: 'App',
        serviceProviders: ['SP1'],
        redirectDomains: ['app.example', '*.app.example'],
      });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body.scopes, ['api:client:v2']);
      const id = created.body.id;
      const first = (await server.admin('GET', `/applications/${id}/software-statement`)).body.software_statement;
      const verified = await server.domus.entitlements.statements.verify(first);
      assert.equal(verified.applicationId, id);
      const rotated = (await server.admin('POST', `/applications/${id}/software-statement`)).body.software_statement;
      assert.notEqual(decodeJwt(rotated).jti, decodeJwt(first).jti);
      assert.equal((await server.domus.entitlements.store.application(id))?.statementId, decodeJwt(rotated).jti);
      assert.equal((await server.admin('DELETE', `/applications/${id}`)).status, 204);
      assert.equal((await server.admin('GET', `/applications/${id}/software-statement`)).status, 404);
    });

    it('answers 201 to only one of concurrent creates of the same entity', async () => {
      const statuses = async (path: string, body: object) => {
        const answers = await Promise.all(Array.from({ length: 4 }, () => server.admin('PUT', path, body)));
        return answers.map((answer) => answer.status).sort();
      };
      assert.deepEqual(await statuses('/service-providers/RaceSp', { displayName: 'Race' }), [200, 200, 200, 201]);
      assert.deepEqual(await statuses('/mvpds/RaceCable', mvpdBody), [200, 200, 200, 201]);
      assert.deepEqual(await statuses('/integrations/RaceSp/RaceCable', { active: true }), [200, 200, 200, 201]);
      const application = { name: 'Race', serviceProviders: ['RaceSp'], redirectDomains: ['race.example'] };
      assert.deepEqual(await statuses('/applications/race-app', application), [200, 200, 200, 201]);
      const statement = await server.domus.entitlements.store.application('race-app');
      assert.ok(statement?.statementId, 'one software statement id, kept by the updates');
    });

    it('refuses operator calls without the admin token', async () => {
      const response = await fetch(`${server.url}/admin/v1/mvpds`);
      assert.equal(response.status, 401);
      assert.deepEqual(Object.keys(await response.json()), ['error']);
    });
  });
}
