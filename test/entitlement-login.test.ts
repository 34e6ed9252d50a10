/**
 * Authentication end to end over HTTP, on every database: sessions, the user agent (picker, the
 * demo MVPD's sign-in, the callback) and profiles, for the primary-device flow and both
 * second-screen flows (docs/entitlement-api.md, "Flows"), with every JSON answer checked against
 * Adobe's OpenAPI; then every way the user-agent steps fail, each ending on an HTML page.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken } from './support/pass-client.js';
import { assertHtmlPage, device, links, v2, walkLogin } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';
import { forms, type Page, UserAgent } from './support/user-agent.js';

const SP = 'DemoChannel';
const REDIRECT = 'http://localhost:3000/signed-in';
const CODE = /^[A-Z0-9]{7}$/;
const DAY_MS = 86_400_000;

const TV_INFO = {
  primaryHardwareType: 'TV',
  model: 'Bravia',
  version: '2.0.1-beta',
  manufacturer: 'Sony',
  osName: 'Android',
  osFamily: 'Android',
  osVersion: '12',
  connectionType: 'LAN',
};

for (const kind of testDatabases()) {
  describe(`authentication flows on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    /** The TV (or the primary device) and the phone: two registrations of the demo app. */
    let tv: string;
    let phone: string;

    const atRedirect = (url: string) => url.startsWith(REDIRECT);
    const post = (
      pathname: string,
      form: Record<string, string>,
      options: { token?: string; headers?: Record<string, string> } = {},
    ) => v2(server.url, 'POST', pathname, { token: tv, ...options, form });
    const get = (pathname: string, options: { token?: string; headers?: Record<string, string> } = {}) =>
      v2(server.url, 'GET', pathname, { token: tv, ...options });

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      tv = (await accessToken(server.url, server.admin)).token;
      phone = (await accessToken(server.url, server.admin)).token;
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('primary device: session → MVPD sign-in in the user agent → redirectUrl → profiles', async () => {
      const headers = device('primary-1');
      const created = await post(
        `/api/v2/${SP}/sessions`,
        { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
        { headers },
      );
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const session = created.body;
      assert.equal(session.actionName, 'authenticate');
      assert.equal(session.actionType, 'interactive');
      assert.equal(session.reasonType, 'none');
      assert.match(session.code, CODE);
      assert.equal(session.url, `/api/v2/authenticate/${SP}/${session.code}`);
      assert.equal(session.mvpd, 'DemoCable');
      assert.equal(session.serviceProvider, SP);
      assert.match(session.sessionId, /^[0-9a-f-]{36}$/);
      assert.equal(typeof session.notBefore, 'string');
      assert.equal(Number(session.notAfter) - Number(session.notBefore), 30 * 60_000);
      assert.equal('missingParameters' in session, false);

      const agent = new UserAgent();
      const start = await agent.get(server.url + session.url);
      assert.equal(start.status, 302);
      assert.match(start.location ?? '', /\/demo-mvpd\/DemoCable\/auth\?/);
      const authorization = new URL(start.location ?? '').searchParams;
      assert.equal(authorization.get('code_challenge_method'), 'S256');
      assert.equal(authorization.get('redirect_uri'), `${server.domus.publicRoot()}/api/v2/mvpd-callback/DemoCable`);
      const reached = await walkLogin(agent, server.url + session.url, 'alice', atRedirect);
      assert.equal(reached, REDIRECT);

      const byCode = await get(`/api/v2/${SP}/profiles/code/${session.code}`);
      assert.equal(byCode.status, 200);
      const profile = byCode.body.profiles.DemoCable;
      assert.deepEqual(Object.keys(byCode.body.profiles), ['DemoCable']);
      assert.equal(profile.issuer, 'DemoCable');
      assert.equal(profile.type, 'regular');
      assert.equal(Number.isInteger(profile.notBefore) && Number.isInteger(profile.notAfter), true);
      assert.equal(profile.notAfter - profile.notBefore, 30 * DAY_MS, "the MVPD's authN TTL");
      assert.deepEqual(profile.attributes, {
        userID: { value: 'alice', state: 'plain' },
        upstreamUserID: { value: 'alice', state: 'plain' },
        householdID: { value: 'household-1', state: 'plain' },
      });

      assert.deepEqual((await get(`/api/v2/${SP}/profiles`, { headers })).body, byCode.body);
      assert.deepEqual((await get(`/api/v2/${SP}/profiles/DemoCable`, { headers })).body, byCode.body);
      assert.deepEqual((await get(`/api/v2/${SP}/profiles/DemoSat`, { headers })).body, { profiles: {} });

      // What only Domus keeps: the entitlements and the ID token, sealed.
      const [row] = await server.domus.storage.db
        .selectFrom('profiles')
        .selectAll()
        .where('code', '=', session.code)
        .execute();
      assert.ok(row);
      assert.equal(row.sealed_upstream.includes('DemoChannel'), false);
      const stored = await server.domus.entitlements.profiles.find(
        { clientId: row.client_id, deviceId: row.device_id, serviceProviderId: SP },
        'DemoCable',
      );
      assert.deepEqual(stored?.upstream.entitlements, ['DemoChannel']);
      assert.equal(stored?.upstream.subject, 'alice');
      assert.equal(stored?.upstream.householdId, 'household-1');
      assert.match(stored?.upstream.idToken ?? '', /^ey/);

      // Signed in: a new session for the same MVPD goes straight to decisions.
      const again = await post(
        `/api/v2/${SP}/sessions`,
        { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
        { headers },
      );
      assert.deepEqual(
        { ...again.body, sessionId: undefined },
        {
          actionName: 'authorize',
          actionType: 'direct',
          reasonType: 'authenticated',
          url: `/api/v2/${SP}/decisions/authorize/DemoCable`,
          mvpd: 'DemoCable',
          serviceProvider: SP,
          sessionId: undefined,
        },
      );
    });

    it('second screen, MVPD preselected: the phone checks the code and signs in, the TV polls', async () => {
      const tvHeaders = device('tv-preselected', TV_INFO);
      const created = await post(
        `/api/v2/${SP}/sessions`,
        { mvpd: 'DemoSat', domainName: 'localhost', redirectUrl: REDIRECT },
        { headers: tvHeaders },
      );
      const { code } = created.body;
      assert.equal(created.body.actionName, 'authenticate');
      assert.deepEqual((await get(`/api/v2/${SP}/profiles/code/${code}`)).body, { profiles: {} }, 'not yet');

      const read = await get(`/api/v2/${SP}/sessions/${code.toLowerCase()}`, { token: phone });
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.existingParameters, {
        mvpd: 'DemoSat',
        domainName: 'localhost',
        redirectUrl: REDIRECT,
        serviceProvider: SP,
      });
      assert.deepEqual(read.body.missingParameters, []);
      assert.equal(read.body.device.type, 'TV');
      assert.equal(read.body.device.model, 'Bravia');
      assert.deepEqual(read.body.device.operatingSystem, {
        name: 'Android',
        family: 'Android',
        version: { major: 12 },
      });
      assert.equal(read.body.notBefore, created.body.notBefore);
      assert.equal(read.body.notAfter, created.body.notAfter);

      // The phone builds the authenticate URL from the code (Adobe: it may) and signs bob in.
      const reached = await walkLogin(
        new UserAgent(),
        `${server.url}/api/v2/authenticate/${SP}/${code}`,
        'bob',
        atRedirect,
      );
      assert.equal(reached, REDIRECT);

      const polled = await get(`/api/v2/${SP}/profiles/code/${code}`);
      assert.equal(polled.body.profiles.DemoSat.attributes.userID.value, 'bob');
      const tvProfiles = await get(`/api/v2/${SP}/profiles`, { headers: tvHeaders });
      assert.deepEqual(Object.keys(tvProfiles.body.profiles), ['DemoSat'], 'the profile is the TV’s');
    });

    it('second screen, no MVPD yet: resume → retry → picker → MVPD → the TV polls', async () => {
      const tvHeaders = device('tv-picker', TV_INFO);
      const created = await post(
        `/api/v2/${SP}/sessions`,
        { domainName: 'localhost', mvpd: '' },
        { headers: tvHeaders },
      );
      const { code } = created.body;
      assert.equal(created.body.actionName, 'resume');
      assert.equal(created.body.actionType, 'direct');
      assert.equal(created.body.reasonType, 'none');
      assert.deepEqual(created.body.missingParameters, ['mvpd', 'redirectUrl']);
      assert.equal(created.body.url, `/api/v2/${SP}/sessions/${code}`);
      assert.equal('mvpd' in created.body, false);

      const read = await get(`/api/v2/${SP}/sessions/${code}`, { token: phone });
      assert.deepEqual(read.body.missingParameters, ['mvpd', 'redirectUrl']);
      assert.deepEqual(read.body.existingParameters, { domainName: 'localhost', serviceProvider: SP });

      const retry = await post(`/api/v2/${SP}/sessions/${code}`, { redirectUrl: REDIRECT }, { token: phone });
      assert.equal(retry.body.actionName, 'retry');
      assert.equal(retry.body.actionType, 'direct');
      assert.deepEqual(retry.body.missingParameters, ['mvpd']);
      assert.equal(retry.body.code, code);
      assert.equal(retry.body.url, `/api/v2/${SP}/sessions/${code}`);
      assert.equal(retry.body.sessionId, created.body.sessionId);

      const agent = new UserAgent();
      const picker = await agent.get(`${server.url}/api/v2/authenticate/${SP}/${code}`);
      await assertHtmlPage({ ...picker, location: undefined }, 200, /Choose your TV provider/);
      assert.match(picker.body, /Demo Cable/);
      assert.match(picker.body, /Demo Satellite/);
      assert.match(picker.body, /Bravia \(Android 12\)/, 'the device being signed in');
      assert.match(picker.body, /<img src="data:image\/svg\+xml;base64,[^"]+" alt="">/);
      assert.equal(picker.headers.get('referrer-policy'), 'no-referrer');
      assert.match(picker.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      const choices = links(picker.body);
      assert.deepEqual(choices, [
        `/api/v2/authenticate/${SP}/${code}?mvpd=DemoCable`,
        `/api/v2/authenticate/${SP}/${code}?mvpd=DemoSat`,
      ]);

      const reached = await walkLogin(agent, server.url + choices[0], 'carol', atRedirect);
      assert.equal(reached, REDIRECT);
      const after = await get(`/api/v2/${SP}/sessions/${code}`, { token: phone });
      assert.equal(after.body.existingParameters.mvpd, 'DemoCable', 'the picker recorded the choice');
      const polled = await get(`/api/v2/${SP}/profiles/code/${code}`);
      assert.equal(polled.body.profiles.DemoCable.attributes.householdID.value, 'household-2');
      assert.deepEqual(Object.keys((await get(`/api/v2/${SP}/profiles`, { headers: tvHeaders })).body.profiles), [
        'DemoCable',
      ]);
    });

    it('without a redirectUrl the user agent ends on a "you are signed in" page', async () => {
      const created = await post(`/api/v2/${SP}/sessions`, { mvpd: 'DemoSat' }, { headers: device('tv-no-redirect') });
      assert.equal(created.body.actionName, 'resume');
      assert.deepEqual(created.body.missingParameters, ['domainName', 'redirectUrl']);
      const end = await walkLogin(
        new UserAgent(),
        `${server.url}/api/v2/authenticate/${SP}/${created.body.code}`,
        'alice',
        () => false,
      );
      assert.equal(typeof end, 'object');
      await assertHtmlPage(end as Page, 200, /You are signed in/);
      assert.match((end as Page).body, /Demo Channel with Demo Satellite/);
      const polled = await get(`/api/v2/${SP}/profiles/code/${created.body.code}`);
      assert.deepEqual(Object.keys(polled.body.profiles), ['DemoSat']);
    });

    it('resuming for an MVPD the primary device is signed in with answers authorize', async () => {
      const headers = device('tv-resume-authorize');
      const first = await post(
        `/api/v2/${SP}/sessions`,
        { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
        { headers },
      );
      assert.equal(await walkLogin(new UserAgent(), server.url + first.body.url, 'alice', atRedirect), REDIRECT);
      const second = await post(`/api/v2/${SP}/sessions`, { domainName: 'localhost' }, { headers });
      const resumed = await post(`/api/v2/${SP}/sessions/${second.body.code}`, { mvpd: 'DemoCable' }, { token: phone });
      assert.equal(resumed.body.actionName, 'authorize');
      assert.equal(resumed.body.reasonType, 'authenticated');
      assert.equal(resumed.body.url, `/api/v2/${SP}/decisions/authorize/DemoCable`);
      assert.equal(resumed.body.code, second.body.code);
      const complete = await post(
        `/api/v2/${SP}/sessions/${second.body.code}`,
        { mvpd: 'DemoSat', redirectUrl: REDIRECT },
        { token: phone },
      );
      assert.equal(complete.body.actionName, 'authenticate');
      assert.equal(complete.body.actionType, 'interactive');
      assert.equal(complete.body.mvpd, 'DemoSat');
      assert.equal(complete.body.url, `/api/v2/authenticate/${SP}/${second.body.code}`);
    });

    it("a profile lives as long as the MVPD's authN TTL says", async () => {
      const sat = (await server.admin('GET', '/mvpds/DemoSat')).body;
      const { id: _id, connection: _connection, ...fields } = sat;
      assert.equal(
        (await server.admin('PUT', '/mvpds/DemoSat', { ...fields, connection: { kind: 'builtin' }, authnTtlS: 60 }))
          .status,
        200,
      );
      try {
        const created = await post(
          `/api/v2/${SP}/sessions`,
          { mvpd: 'DemoSat', domainName: 'localhost', redirectUrl: REDIRECT },
          { headers: device('tv-ttl') },
        );
        assert.equal(await walkLogin(new UserAgent(), server.url + created.body.url, 'bob', atRedirect), REDIRECT);
        const profile = (await get(`/api/v2/${SP}/profiles/code/${created.body.code}`)).body.profiles.DemoSat;
        assert.equal(profile.notAfter - profile.notBefore, 60_000);
      } finally {
        await server.admin('PUT', '/mvpds/DemoSat', { ...fields, connection: { kind: 'builtin' } });
      }
    });

    describe('user-agent failures end on an HTML page', () => {
      const page = (pathname: string) => new UserAgent().get(server.url + pathname);
      const newSession = async (form: Record<string, string>, id = 'tv-errors') =>
        (await post(`/api/v2/${SP}/sessions`, form, { headers: device(id) })).body;

      it('refuses unknown, malformed, expired and foreign codes', async () => {
        await assertHtmlPage(await page(`/api/v2/authenticate/${SP}/ZZZZZZZ`), 400, /not valid/);
        await assertHtmlPage(await page(`/api/v2/authenticate/${SP}/abc`), 400, /not valid/);
        await assertHtmlPage(await page(`/api/v2/authenticate/${SP}/${'A'.repeat(9)}`), 400);
        const session = await newSession({ mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT });
        await assertHtmlPage(await page(`/api/v2/authenticate/NoSuchChannel/${session.code}`), 400, /not valid/);
        await server.domus.storage.db
          .updateTable('authentication_sessions')
          .set({ not_after: Date.now() - 1 })
          .where('code', '=', session.code)
          .execute();
        await assertHtmlPage(await page(session.url), 400, /expired/);
      });

      it('refuses an MVPD the picker does not offer, and a second choice', async () => {
        const session = await newSession({ domainName: 'localhost', redirectUrl: REDIRECT });
        const path = `/api/v2/authenticate/${SP}/${session.code}`;
        await assertHtmlPage(await page(`${path}?mvpd=NoSuchMvpd`), 400, /Unknown TV provider/);
        await assertHtmlPage(await page(`${path}?mvpd=bad%20id`), 400);
        await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: false });
        try {
          await assertHtmlPage(await page(`${path}?mvpd=DemoSat`), 400, /Unknown TV provider/);
          const picker = await page(path);
          assert.deepEqual(links(picker.body), [`${path}?mvpd=DemoCable`], 'only active MVPDs are offered');
        } finally {
          await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: true });
        }
        assert.equal((await page(`${path}?mvpd=DemoCable`)).status, 302);
        await assertHtmlPage(await page(`${path}?mvpd=DemoSat`), 400, /already chosen/);
        assert.equal((await page(`${path}?mvpd=DemoCable`)).status, 302, 'the same choice again is fine');
      });

      it('refuses an MVPD whose integration was disabled after the session began', async () => {
        const session = await newSession({ mvpd: 'DemoSat', domainName: 'localhost', redirectUrl: REDIRECT });
        await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: false });
        try {
          await assertHtmlPage(await page(session.url), 400, /no longer offers/);
        } finally {
          await server.admin('PUT', `/integrations/${SP}/DemoSat`, { active: true });
        }
      });

      it('takes each callback once, only for its MVPD, and only with a known state', async () => {
        const callback = `/api/v2/mvpd-callback/DemoCable`;
        await assertHtmlPage(await page(callback), 400, /cannot be completed/);
        await assertHtmlPage(await page(`${callback}?state=${'x'.repeat(43)}&code=abc`), 400, /cannot be completed/);
        await assertHtmlPage(await page(`${callback}?state=%3Cscript%3E&code=abc`), 400);

        const session = await newSession(
          { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
          'tv-replay',
        );
        const agent = new UserAgent();
        const callbackUrl = await walkLogin(agent, server.url + session.url, 'alice', (url) =>
          url.includes('/mvpd-callback/'),
        );
        assert.equal(typeof callbackUrl, 'string');
        const wrongMvpd = (callbackUrl as string).replace('/mvpd-callback/DemoCable', '/mvpd-callback/DemoSat');
        // A callback on the wrong MVPD's path uses the state up: the login must start again.
        await assertHtmlPage(await agent.get(wrongMvpd), 400, /cannot be completed/);
        await assertHtmlPage(await agent.get(callbackUrl as string), 400, /cannot be completed/);
        assert.deepEqual((await get(`/api/v2/${SP}/profiles/code/${session.code}`)).body, { profiles: {} });

        const again = await walkLogin(agent, server.url + session.url, 'alice', (url) =>
          url.includes('/mvpd-callback/'),
        );
        const first = await agent.get(again as string);
        assert.equal(first.status, 302);
        assert.equal(first.location, REDIRECT);
        await assertHtmlPage(await agent.get(again as string), 400, /already completed/);
      });

      it('ends on an error page with "Try again" when the user cancels at the MVPD', async () => {
        const session = await newSession(
          { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: REDIRECT },
          'tv-cancel',
        );
        const agent = new UserAgent();
        const form = await agent.follow(await agent.get(server.url + session.url));
        assert.equal(typeof form, 'object');
        const abort = forms((form as Page).body).find((f) => f.action.endsWith('/abort'));
        assert.ok(abort);
        const end = await agent.follow(await agent.post(new URL(abort.action, (form as Page).url).href, {}));
        assert.equal(typeof end, 'object');
        await assertHtmlPage(end as Page, 400, /Sign-in cancelled/);
        assert.deepEqual(links((end as Page).body), [session.url]);
        assert.deepEqual((await get(`/api/v2/${SP}/profiles/code/${session.code}`)).body, { profiles: {} });
      });

      it('escapes what it shows', async () => {
        await server.admin('PUT', '/service-providers/Evil', { displayName: '<script>alert(1)</script>' });
        const application = await server.admin('POST', '/applications', {
          name: 'evil app',
          serviceProviders: ['Evil'],
          redirectDomains: ['localhost'],
        });
        assert.equal(application.status, 201);
        const evilToken = (await accessToken(server.url, server.admin, application.body.id)).token;
        await server.admin('PUT', '/integrations/Evil/DemoCable', { active: true });
        const created = await v2(server.url, 'POST', '/api/v2/Evil/sessions', {
          token: evilToken,
          headers: device('evil', { ...TV_INFO, model: '"><img src=x onerror=alert(1)>' }),
          form: { domainName: 'localhost' },
        });
        const picker = await page(`/api/v2/authenticate/Evil/${created.body.code}`);
        assert.equal(picker.status, 200);
        assert.equal(picker.body.includes('<script>alert'), false);
        assert.equal(picker.body.includes('<img src=x'), false);
        assert.match(picker.body, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
      });
    });

    describe('an MVPD whose ID tokens do not verify', () => {
      let fake: http.Server;

      before(async () => {
        fake = await startBadIdTokenProvider();
        const issuer = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
        const put = await server.admin('PUT', '/mvpds/BadTokens', {
          displayName: 'Bad Tokens',
          logoUrl: 'https://bad.example/logo.png',
          protocol: 'oidc',
          connection: { kind: 'oidc', issuer, clientId: 'domus', clientSecret: 'secret' },
          hasLogoutEndpoint: false,
          authnTtlS: 3600,
          authzTtlS: 300,
          entitlementClaim: 'channels',
          authNamespace: 'bad',
        });
        assert.equal(put.status, 201, JSON.stringify(put.body));
        await server.admin('PUT', `/integrations/${SP}/BadTokens`, { active: true });
      });
      after(async () => {
        await server.admin('DELETE', `/integrations/${SP}/BadTokens`);
        await new Promise((resolve) => fake.close(resolve));
      });

      it('ends on a 500 page and stores no profile', async () => {
        const created = await post(
          `/api/v2/${SP}/sessions`,
          { mvpd: 'BadTokens', domainName: 'localhost', redirectUrl: REDIRECT },
          { headers: device('tv-bad-token') },
        );
        const agent = new UserAgent();
        const end = await agent.follow(await agent.get(server.url + created.body.url));
        assert.equal(typeof end, 'object');
        await assertHtmlPage(end as Page, 500, /could not be verified/);
        assert.deepEqual((await get(`/api/v2/${SP}/profiles/code/${created.body.code}`)).body, { profiles: {} });
      });
    });
  });
}

/**
 * A minimal OpenID provider whose authorization endpoint answers at once and whose ID tokens are
 * signed with a key it does not publish.
 */
async function startBadIdTokenProvider(): Promise<http.Server> {
  const published = await generateKeyPair('ES256');
  const signing = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let nonce = '';
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const issuer = `http://${request.headers.host}`;
    const json = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ['ES256'],
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
      });
    }
    if (url.pathname === '/jwks') return json({ keys: [jwk] });
    if (url.pathname === '/authorize') {
      nonce = url.searchParams.get('nonce') ?? '';
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', 'the-code');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.href });
      return response.end();
    }
    if (url.pathname === '/token') {
      const idToken = await new SignJWT({ nonce })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience('domus')
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signing.privateKey);
      return json({ access_token: 'at', token_type: 'Bearer', id_token: idToken });
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
