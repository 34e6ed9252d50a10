/**
 * Decisions and media tokens on every database (docs/entitlement-api.md, "Decisions" and "Media
 * tokens"): preauthorize and authorize over HTTP, with every answer checked against Adobe's REST
 * API V2 OpenAPI; the media token checked with the verifier library and the `domus media-token`
 * command. Profiles are saved straight into the store (test/support/stored-profiles.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type JSONWebKeySet, SignJWT } from 'jose';
import {
  type MediaTokenContent,
  oneTimeUse,
  verifyMediaToken,
} from '../src/entitlements/tokens/media-token-verifier.js';
import { newP256KeyPair } from '../src/platform/crypto/p256.js';
import { assertAdobeErrorBody, assertAdobeResponse } from './support/adobe-contract.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { type Answer, accessToken, call } from './support/pass-client.js';
import { runDomus } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device, saveProfile } from './support/stored-profiles.js';

const AUTHORIZE = '/api/v2/DemoChannel/decisions/authorize/DemoCable';
const PREAUTHORIZE = '/api/v2/DemoChannel/decisions/preauthorize/DemoCable';
const AUTHZ_TTL_MS = 300_000;

for (const kind of testDatabases()) {
  describe(`decisions and media tokens on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let clientId: string;
    let jwks: JSONWebKeySet;
    const phone = device('decisions-phone');

    const decide = (pathname: string, resources: unknown, headers: Record<string, string> = phone.headers) =>
      call(server.url, 'POST', pathname, { token, headers, json: { resources } });
    /**
     * A top-level enhanced error; Adobe's file declares 403 nowhere on decisions
     * (docs/entitlement-api.md, "Where Adobe's sources disagree").
     */
    const topLevel = async (answer: Answer, pathname: string, status: number, code: string, action: string) => {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.code, code);
      assert.equal(answer.body.status, status);
      assert.equal(answer.body.action, action);
      assert.equal(answer.body.trace, answer.headers.get('x-request-id'));
      if (status === 403) await assertAdobeErrorBody(answer.body);
      else await assertAdobeResponse('POST', pathname, answer);
    };
    const permittedToken = async (resource = 'DemoChannel') => {
      const answer = await decide(AUTHORIZE, [resource]);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.decisions[0].authorized, true);
      return answer.body.decisions[0].token.serializedToken as string;
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      const registered = await accessToken(server.url, server.admin);
      token = registered.token;
      clientId = registered.client.client_id;
      await saveProfile(server, {
        clientId,
        deviceId: phone.deviceId,
        mvpd: 'DemoCable',
        entitlements: ['DemoChannel'],
      });
      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoSat', entitlements: ['*'] });
      jwks = (await call(server.url, 'GET', '/media-tokens/jwks.json')).body;
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('authorizes an entitled resource with a media token, in Adobe’s shape', async () => {
      const before = Date.now();
      const answer = await decide(AUTHORIZE, ['DemoChannel']);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      await assertAdobeResponse('POST', AUTHORIZE, answer);
      const [decision] = answer.body.decisions;
      assert.deepEqual(
        { ...decision, notBefore: 0, notAfter: 0, token: undefined },
        {
          resource: 'DemoChannel',
          serviceProvider: 'DemoChannel',
          mvpd: 'DemoCable',
          source: 'mvpd',
          authorized: true,
          notBefore: 0,
          notAfter: 0,
          token: undefined,
        },
      );
      assert.ok(Number.isInteger(decision.notBefore) && decision.notBefore >= before);
      assert.equal(decision.notAfter - decision.notBefore, AUTHZ_TTL_MS, 'now + the MVPD authZ TTL');
      const media = decision.token;
      assert.ok(Number.isInteger(media.notBefore) && Number.isInteger(media.notAfter));
      assert.equal(media.notAfter - media.notBefore, 420_000, '7 minutes by default');
      assert.match(media.serializedToken, /^[A-Za-z0-9+/]+=*$/);
    });

    it('denies a resource the MVPD does not entitle: HTTP 200 with an item-level error', async () => {
      const answer = await decide(AUTHORIZE, ['PremiumChannel']);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      await assertAdobeResponse('POST', AUTHORIZE, answer);
      const [decision] = answer.body.decisions;
      assert.equal(decision.authorized, false);
      assert.equal(decision.source, 'mvpd');
      assert.equal(decision.token, undefined);
      assert.equal(decision.error.code, 'authorization_denied_by_mvpd');
      assert.equal(decision.error.status, 403);
      assert.equal(decision.error.action, 'none');
      assert.equal(decision.error.trace, answer.headers.get('x-request-id'));
    });

    it('preauthorizes up to five resources without media tokens', async () => {
      const answer = await decide(PREAUTHORIZE, ['DemoChannel', 'PremiumChannel', 'DemoChannel']);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      await assertAdobeResponse('POST', PREAUTHORIZE, answer);
      assert.deepEqual(
        answer.body.decisions.map((d: { resource: string; authorized: boolean }) => [d.resource, d.authorized]),
        [
          ['DemoChannel', true],
          ['PremiumChannel', false],
          ['DemoChannel', true],
        ],
      );
      for (const decision of answer.body.decisions) assert.equal(decision.token, undefined);
      assert.equal(answer.body.decisions[1].error.code, 'preauthorization_denied_by_mvpd');

      const all = await decide('/api/v2/DemoChannel/decisions/preauthorize/DemoSat', ['a', 'b', 'c', 'd', 'e']);
      assert.equal(all.status, 200, JSON.stringify(all.body));
      await assertAdobeResponse('POST', '/api/v2/DemoChannel/decisions/preauthorize/DemoSat', all);
      assert.deepEqual(
        all.body.decisions.map((d: { authorized: boolean; mvpd: string }) => [d.authorized, d.mvpd]),
        Array(5).fill([true, 'DemoSat']),
        '`*` entitles every resource',
      );
    });

    it('refuses more resources than the limit: 403 too_many_resources (preauthorize 5, authorize 1)', async () => {
      await topLevel(
        await decide(PREAUTHORIZE, ['1', '2', '3', '4', '5', '6']),
        PREAUTHORIZE,
        403,
        'too_many_resources',
        'configuration',
      );
      const two = await decide(AUTHORIZE, ['DemoChannel', 'DemoChannel']);
      await topLevel(two, AUTHORIZE, 403, 'too_many_resources', 'configuration');
      assert.match(two.body.details, /authorize takes at most 1 resource/);
    });

    it('answers a top-level 403 when the device has no profile, or it expired', async () => {
      const missing = await decide(AUTHORIZE, ['DemoChannel'], device('another-device').headers);
      await topLevel(missing, AUTHORIZE, 403, 'authenticated_profile_missing', 'authentication');
      // Another client registration of the same app on the same device has no profile either.
      const other = await accessToken(server.url, server.admin);
      const answer = await call(server.url, 'POST', AUTHORIZE, {
        token: other.token,
        headers: phone.headers,
        json: { resources: ['DemoChannel'] },
      });
      await topLevel(answer, AUTHORIZE, 403, 'authenticated_profile_missing', 'authentication');

      const tv = device('decisions-expired-tv');
      await saveProfile(server, { clientId, deviceId: tv.deviceId, mvpd: 'DemoCable', notAfter: Date.now() - 1 });
      for (const pathname of [AUTHORIZE, PREAUTHORIZE]) {
        await topLevel(
          await decide(pathname, ['DemoChannel'], tv.headers),
          pathname,
          403,
          'authenticated_profile_expired',
          'authentication',
        );
      }
    });

    it('refuses an inactive integration (invalid_integration) and an unknown MVPD (invalid_parameter_mvpd)', async () => {
      await server.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: false });
      try {
        await topLevel(await decide(AUTHORIZE, ['DemoChannel']), AUTHORIZE, 400, 'invalid_integration', 'none');
        await topLevel(await decide(PREAUTHORIZE, ['DemoChannel']), PREAUTHORIZE, 400, 'invalid_integration', 'none');
      } finally {
        await server.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: true });
      }
      const unknown = '/api/v2/DemoChannel/decisions/authorize/NoSuchMvpd';
      await topLevel(await decide(unknown, ['DemoChannel']), unknown, 400, 'invalid_parameter_mvpd', 'none');
    });

    it('refuses malformed resources and missing device headers', async () => {
      // (A lone string, a number or a one-item list becomes a string: the server's usual ajv coercion.)
      for (const resources of [
        undefined,
        null,
        [],
        {},
        [''],
        [{}],
        [['a', 'b']],
        ['bad\u0001id'],
        ['x'.repeat(4097)],
      ]) {
        await topLevel(await decide(AUTHORIZE, resources), AUTHORIZE, 400, 'invalid_parameter_resources', 'none');
      }
      const noBody = await call(server.url, 'POST', AUTHORIZE, { token, headers: phone.headers });
      await topLevel(noBody, AUTHORIZE, 400, 'invalid_parameter_resources', 'none');
      const { 'x-device-info': info } = phone.headers;
      await topLevel(
        await decide(AUTHORIZE, ['DemoChannel'], { 'x-device-info': info }),
        AUTHORIZE,
        400,
        'invalid_header_device_identifier',
        'none',
      );
      await topLevel(
        await decide(AUTHORIZE, ['DemoChannel'], { 'ap-device-identifier': phone.headers['ap-device-identifier'] }),
        AUTHORIZE,
        400,
        'invalid_header_device_info',
        'none',
      );
      const wrongMethod = await call(server.url, 'GET', AUTHORIZE, { token, headers: phone.headers });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'POST, OPTIONS');
    });

    it('media tokens verify with the library: valid, wrong resource, tampered, foreign, expired, used twice', async () => {
      const serialized = await permittedToken();
      const valid = await verifyMediaToken(serialized, { jwks, resource: 'DemoChannel' });
      assert.equal(valid.status, 'VALID_TOKEN');
      const content = valid.token as MediaTokenContent;
      assert.equal(content.requestor, 'DemoChannel');
      assert.equal(content.resource, 'DemoChannel');
      assert.equal(content.mvpd, 'DemoCable');
      assert.equal(content.exp - content.iat, 420);
      const profile = await server.domus.entitlements.profiles.find(
        { clientId, deviceId: phone.deviceId, serviceProviderId: 'DemoChannel' },
        'DemoCable',
      );
      assert.ok(profile && content.sid !== profile.sessionId, 'the session id is anonymized');
      assert.equal(
        (await verifyMediaToken(await permittedToken(), { jwks, resource: 'DemoChannel' })).token?.sid,
        content.sid,
      );

      // Fetched from the server's JWKS URL as a backend would.
      const byUrl = await verifyMediaToken(serialized, {
        jwks: `${server.url}/media-tokens/jwks.json`,
        resource: 'DemoChannel',
      });
      assert.equal(byUrl.status, 'VALID_TOKEN');

      assert.equal(
        (await verifyMediaToken(serialized, { jwks, resource: 'OtherChannel' })).status,
        'INVALID_RESOURCE_ID',
      );

      const [header, payload, signature] = Buffer.from(serialized, 'base64').toString().split('.') as [
        string,
        string,
        string,
      ];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, resource: 'PremiumChannel' })).toString('base64url');
      const tampered = Buffer.from(`${header}.${forged}.${signature}`).toString('base64');
      assert.equal(
        (await verifyMediaToken(tampered, { jwks, resource: 'PremiumChannel' })).status,
        'INVALID_SIGNATURE',
      );

      const stranger = newP256KeyPair().privateKey;
      const strangerJws = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'domus-media+jwt', kid: jwks.keys[0]?.kid as string })
        .sign(stranger);
      const foreign = Buffer.from(strangerJws).toString('base64');
      assert.equal((await verifyMediaToken(foreign, { jwks, resource: 'DemoChannel' })).status, 'INVALID_SIGNATURE');

      for (const garbage of [
        '',
        'not a token',
        Buffer.from('a.b').toString('base64'),
        Buffer.from('x.y.z').toString('base64'),
      ]) {
        assert.equal(
          (await verifyMediaToken(garbage, { jwks, resource: 'DemoChannel' })).status,
          'INVALID_TOKEN_FORMAT',
        );
      }

      const afterExpiry = (content.exp + 31) * 1000;
      assert.equal(
        (await verifyMediaToken(serialized, { jwks, resource: 'DemoChannel', now: afterExpiry })).status,
        'TOKEN_EXPIRED',
      );
      const withinSkew = (content.exp + 29) * 1000;
      assert.equal(
        (await verifyMediaToken(serialized, { jwks, resource: 'DemoChannel', now: withinSkew })).status,
        'VALID_TOKEN',
      );

      const markUsed = oneTimeUse();
      const first = await verifyMediaToken(serialized, { jwks, resource: 'DemoChannel', markUsed });
      assert.equal(first.status, 'VALID_TOKEN');
      const replay = await verifyMediaToken(serialized, { jwks, resource: 'DemoChannel', markUsed });
      assert.equal(replay.status, 'TOKEN_ALREADY_USED');
      const fresh = await verifyMediaToken(await permittedToken(), { jwks, resource: 'DemoChannel', markUsed });
      assert.equal(fresh.status, 'VALID_TOKEN', 'each authorize issues a new token');

      const unreachable = await verifyMediaToken(serialized, {
        jwks: 'http://127.0.0.1:9/jwks.json',
        resource: 'DemoChannel',
      });
      assert.equal(unreachable.status, 'ERROR_UNKNOWN');
    });

    it('publishes the JWKS publicly, without private parts', async () => {
      const answer = await call(server.url, 'GET', '/media-tokens/jwks.json');
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('cache-control') ?? '', /max-age=300/);
      assert.equal(answer.body.keys.length, 1);
      const [key] = answer.body.keys;
      assert.deepEqual([key.kty, key.crv, key.alg, key.use], ['EC', 'P-256', 'ES256', 'sig']);
      assert.equal('d' in key, false);
    });

    it('the domus media-token verify command prints the status', async () => {
      const serialized = await permittedToken();
      const jwksUrl = `${server.url}/media-tokens/jwks.json`;
      const valid = await runDomus([
        'media-token',
        'verify',
        serialized,
        '--resource',
        'DemoChannel',
        '--jwks',
        jwksUrl,
      ]);
      assert.equal(valid.code, 0, valid.stderr);
      const [status, ...rest] = valid.stdout.split('\n');
      assert.equal(status, 'VALID_TOKEN');
      assert.equal(JSON.parse(rest.join('\n')).resource, 'DemoChannel');

      // The key set defaults to this server's (DOMUS_PUBLIC_URL).
      const wrong = await runDomus(['media-token', 'verify', serialized, '--resource', 'Other'], {
        DOMUS_PUBLIC_URL: server.url,
      });
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stdout.split('\n')[0], 'INVALID_RESOURCE_ID');

      const bad = await runDomus([
        'media-token',
        'verify',
        'bm90LWEtdG9rZW4=',
        '--resource',
        'DemoChannel',
        '--jwks',
        jwksUrl,
      ]);
      assert.equal(bad.code, 1);
      assert.equal(bad.stdout.trim(), 'INVALID_TOKEN_FORMAT');

      const usage = await runDomus(['media-token', 'verify', serialized]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /usage: domus media-token verify/);
    });
  });
}
