/**
 * The built-in demo MVPDs as real OpenID Connect providers, driven over HTTP the way a browser
 * and Domus's connector drive them, on every database: discovery, authorization code with PKCE,
 * the sign-in form, the connector's code exchange and ID-token checks, RP-initiated logout, and
 * one login spread over two Domus processes on one database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MvpdError } from '../src/entitlements/mvpd/errors.js';
import { createCodeVerifier, type OidcConnector, OidcConnectors } from '../src/entitlements/mvpd/oidc-connector.js';
import { mvpdCallbackUrl, mvpdLogoutCallbackUrl } from '../src/entitlements/mvpd/paths.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { type DemoMvpdServer, startDemoMvpdServer } from './support/demo-mvpd-server.js';
import { forms, type Page, UserAgent } from './support/user-agent.js';

interface Started {
  connector: OidcConnector;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The sign-in form page (or undefined when the session skipped it). */
  form: Page | undefined;
  /** The callback URL reached without a form. */
  callback: string | undefined;
}

async function connectorFor(
  server: DemoMvpdServer,
  mvpdId: string,
  fetchVia?: (url: URL) => URL,
): Promise<OidcConnector> {
  const mvpd = await server.store.mvpd(mvpdId);
  assert.ok(mvpd);
  const connectors = new OidcConnectors({
    publicRoot: () => server.publicRoot,
    ...(fetchVia && { fetch: (input, init) => fetch(fetchVia(new URL(input)), init) }),
  });
  return connectors.for(mvpd);
}

/** Sends the user agent to the MVPD's authorization endpoint and up to the form (or the callback). */
async function startLogin(agent: UserAgent, connector: OidcConnector, mvpdId: string): Promise<Started> {
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const codeVerifier = createCodeVerifier();
  const url = await connector.authorizationUrl({ state, nonce, codeVerifier });
  const callbackPrefix = mvpdCallbackUrl(new URL(connector.redirectUri).origin, mvpdId);
  const reached = await agent.follow(await agent.get(url), (next) => next.startsWith(callbackPrefix));
  if (typeof reached === 'string') return { connector, state, nonce, codeVerifier, form: undefined, callback: reached };
  return { connector, state, nonce, codeVerifier, form: reached, callback: undefined };
}

/** Posts the sign-in form; answers the callback URL the MVPD redirects to. */
async function submitForm(agent: UserAgent, started: Started, user: string, password: string): Promise<string> {
  assert.ok(started.form, 'a sign-in form');
  assert.equal(started.form.status, 200);
  const [loginForm] = forms(started.form.body);
  assert.ok(loginForm);
  const answer = await agent.post(loginForm.action, { user, password });
  assert.equal(answer.status, 303, answer.body);
  const reached = await agent.follow(answer, (next) => next.startsWith(started.connector.redirectUri));
  assert.equal(typeof reached, 'string', 'the MVPD redirects to the callback');
  return reached as string;
}

function codeFrom(connector: OidcConnector, callback: string, state: string): string {
  const params = new URL(callback).searchParams;
  assert.equal(params.get('state'), state);
  assert.equal(params.get('error'), null, params.get('error_description') ?? '');
  return connector.readCallback(params);
}

async function signIn(agent: UserAgent, server: DemoMvpdServer, mvpdId: string, user: string) {
  const connector = await connectorFor(server, mvpdId);
  const started = await startLogin(agent, connector, mvpdId);
  const callback = started.callback ?? (await submitForm(agent, started, user, user));
  const login = await connector.exchangeCode(
    codeFrom(connector, callback, started.state),
    started.codeVerifier,
    started.nonce,
  );
  return { connector, login };
}

for (const kind of testDatabases()) {
  describe(`demo MVPDs on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: DemoMvpdServer;
    before(async () => {
      database = await kind.create();
      server = await startDemoMvpdServer(database);
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('publishes a discovery document per MVPD; only DemoCable offers logout', async () => {
      const read = async (id: string) => {
        const response = await fetch(`${server.url}/demo-mvpd/${id}/.well-known/openid-configuration`);
        assert.equal(response.status, 200);
        return response.json();
      };
      const cable = await read('DemoCable');
      const sat = await read('DemoSat');
      assert.equal(cable.issuer, `${server.publicRoot}/demo-mvpd/DemoCable`);
      assert.equal(cable.end_session_endpoint, `${server.publicRoot}/demo-mvpd/DemoCable/session/end`);
      assert.equal(sat.issuer, `${server.publicRoot}/demo-mvpd/DemoSat`);
      assert.equal('end_session_endpoint' in sat, false);
      for (const doc of [cable, sat]) {
        assert.ok(doc.authorization_endpoint.startsWith(`${doc.issuer}/`));
        assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
        assert.deepEqual(doc.response_types_supported, ['code']);
        assert.deepEqual(doc.scopes_supported, ['openid', 'profile', 'tve']);
        for (const claim of ['userID', 'householdID', 'channels']) assert.ok(doc.claims_supported.includes(claim));
      }
      const keys = await (await fetch(`${server.url}/demo-mvpd/DemoCable/jwks`)).json();
      assert.equal(keys.keys.length, 1);
      assert.equal(keys.keys[0].kty, 'EC');
      assert.equal('d' in keys.keys[0], false);
    });

    it('answers 404 for an MVPD Domus does not serve', async () => {
      const response = await fetch(`${server.url}/demo-mvpd/NoSuchMvpd/.well-known/openid-configuration`);
      assert.equal(response.status, 404);
      assert.equal((await response.json()).error.code, 'not_found');
    });

    it('signs alice in with authorization code and PKCE; the connector checks the ID token', async () => {
      const agent = new UserAgent();
      const { connector, login } = await signIn(agent, server, 'DemoCable', 'alice');
      assert.equal(login.subject, 'alice');
      assert.equal(login.claims.userID, 'alice');
      assert.equal(login.claims.householdID, 'household-1');
      assert.deepEqual(login.claims.channels, ['DemoChannel']);
      assert.equal(login.claims.nonce, undefined, 'protocol claims are not user claims');
      assert.deepEqual(connector.entitlements(login.claims, 'channels'), ['DemoChannel']);
      // The session cookie is the provider's own: scoped to its issuer path.
      const session = agent.setCookies.find((c) => c.startsWith('_session='));
      assert.match(session ?? '', /path=\/demo-mvpd\/DemoCable(;|$)/i);
      assert.match(session ?? '', /httponly/i);
    });

    it('signs carol in with no channels', async () => {
      const { connector, login } = await signIn(new UserAgent(), server, 'DemoSat', 'carol');
      assert.equal(login.claims.householdID, 'household-2');
      assert.deepEqual(login.claims.channels, []);
      assert.deepEqual(connector.entitlements(login.claims, 'channels'), []);
    });

    it('shows the form again after a wrong password, escaping what was typed', async () => {
      const agent = new UserAgent();
      const connector = await connectorFor(server, 'DemoCable');
      const started = await startLogin(agent, connector, 'DemoCable');
      assert.ok(started.form);
      assert.equal(started.form.headers.get('cache-control'), 'no-store');
      const [loginForm] = forms(started.form.body);
      assert.ok(loginForm);
      const wrong = await agent.post(loginForm.action, { user: 'alice"><script>x()</script>', password: 'bob' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.body, /Wrong user name or password/);
      assert.equal(wrong.body.includes('<script>x()'), false);
      assert.ok(wrong.body.includes('alice&#34;&#62;&#60;script&#62;'));
      const again = await agent.post(loginForm.action, { user: 'alice', password: 'alice' });
      assert.equal(again.status, 303);
      const callback = await agent.follow(again, (next) => next.startsWith(connector.redirectUri));
      const login = await connector.exchangeCode(
        codeFrom(connector, callback as string, started.state),
        started.codeVerifier,
        started.nonce,
      );
      assert.equal(login.subject, 'alice');
    });

    it('lets the user cancel: the callback carries access_denied', async () => {
      const agent = new UserAgent();
      const connector = await connectorFor(server, 'DemoCable');
      const started = await startLogin(agent, connector, 'DemoCable');
      const abortForm = forms(started.form?.body ?? '').find((f) => f.action.endsWith('/abort'));
      assert.ok(abortForm);
      const callback = await agent.follow(await agent.post(abortForm.action, {}), (next) =>
        next.startsWith(connector.redirectUri),
      );
      assert.equal(typeof callback, 'string');
      const params = new URL(callback as string).searchParams;
      assert.equal(params.get('state'), started.state);
      assert.throws(
        () => connector.readCallback(params),
        (error: MvpdError) => error.failure === 'oauth_error' && error.oauthError === 'access_denied',
      );
      params.set('iss', 'http://evil.example');
      assert.throws(
        () => connector.readCallback(params),
        (error: MvpdError) => error.failure === 'invalid_response',
      );
    });

    it('refuses a login post without the interaction cookie (cross-site)', async () => {
      const connector = await connectorFor(server, 'DemoCable');
      const started = await startLogin(new UserAgent(), connector, 'DemoCable');
      const [loginForm] = forms(started.form?.body ?? '');
      assert.ok(loginForm);
      const stranger = await new UserAgent().post(loginForm.action, { user: 'alice', password: 'alice' });
      assert.equal(stranger.status, 400);
      assert.equal(stranger.location, undefined);
    });

    it('requires PKCE', async () => {
      const connector = await connectorFor(server, 'DemoCable');
      const url = new URL(
        await connector.authorizationUrl({ state: 's', nonce: 'n', codeVerifier: createCodeVerifier() }),
      );
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      const answer = await new UserAgent().get(url.href);
      assert.equal(answer.status, 303);
      const location = new URL(answer.location ?? '', url);
      assert.equal(location.href.startsWith(connector.redirectUri), true);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
    });

    it('rejects the ID token for a wrong nonce and the code for a wrong verifier', async () => {
      const connector = await connectorFor(server, 'DemoCable');
      const agent = new UserAgent();
      let started = await startLogin(agent, connector, 'DemoCable');
      let code = codeFrom(connector, await submitForm(agent, started, 'bob', 'bob'), started.state);
      await assert.rejects(
        connector.exchangeCode(code, started.codeVerifier, 'another-nonce'),
        (error: MvpdError) =>
          error instanceof MvpdError &&
          error.failure === 'invalid_id_token' &&
          error.passCode === 'network_received_error',
      );
      // The session stays: the next login goes straight to the callback.
      started = await startLogin(agent, connector, 'DemoCable');
      assert.ok(started.callback);
      code = codeFrom(connector, started.callback, started.state);
      await assert.rejects(
        connector.exchangeCode(code, createCodeVerifier(), started.nonce),
        (error: MvpdError) =>
          error instanceof MvpdError && error.failure === 'oauth_error' && error.oauthError === 'invalid_grant',
      );
    });

    it('logs DemoCable out through RP-initiated logout back to the post-logout URI', async () => {
      const agent = new UserAgent();
      const { connector, login } = await signIn(agent, server, 'DemoCable', 'alice');
      const logoutUrl = await connector.logoutUrl({ idTokenHint: login.idToken, state: 'bye-1' });
      assert.ok(logoutUrl);
      const confirm = await agent.get(logoutUrl);
      assert.equal(confirm.status, 200);
      const logoutForm = forms(confirm.body).find((f) => f.id === 'op.logoutForm');
      assert.ok(logoutForm, 'the confirmation form');
      // The hint names this session's user: the page signs out by itself in a browser.
      assert.match(confirm.body, /getElementById\("signout"\)\.click\(\)/);
      const done = await agent.post(logoutForm.action, { ...logoutForm.fields, logout: 'yes' });
      assert.equal(done.status, 303);
      const back = new URL(done.location ?? '');
      assert.equal(`${back.origin}${back.pathname}`, mvpdLogoutCallbackUrl(server.publicRoot, 'DemoCable'));
      assert.equal(back.searchParams.get('state'), 'bye-1');
      // Signed out: the next login asks for the password again.
      const next = await startLogin(agent, connector, 'DemoCable');
      assert.ok(next.form, 'the sign-in form again');
    });

    it('has no logout for DemoSat', async () => {
      const { connector, login } = await signIn(new UserAgent(), server, 'DemoSat', 'bob');
      assert.equal(await connector.logoutUrl({ idTokenHint: login.idToken, state: 's' }), undefined);
      const response = await fetch(`${server.url}/demo-mvpd/DemoSat/session/end?id_token_hint=${login.idToken}`);
      assert.equal(response.status, 404);
    });

    it('follows the operator: a new builtin MVPD is served, a changed one rebuilt', async () => {
      const sat = await server.store.mvpd('DemoSat');
      assert.ok(sat);
      await server.store.putMvpd({ ...sat, id: 'DemoExtra', authNamespace: 'DemoExtra', hasLogoutEndpoint: false });
      const discovery = async () =>
        (await fetch(`${server.url}/demo-mvpd/DemoExtra/.well-known/openid-configuration`)).json();
      assert.equal((await discovery()).end_session_endpoint, undefined);
      await server.store.putMvpd({ ...sat, id: 'DemoExtra', authNamespace: 'DemoExtra', hasLogoutEndpoint: true });
      assert.equal((await discovery()).end_session_endpoint, `${server.publicRoot}/demo-mvpd/DemoExtra/session/end`);
      const { login } = await signIn(new UserAgent(), server, 'DemoExtra', 'bob');
      assert.equal(login.claims.userID, 'bob');
      await server.store.deleteMvpd('DemoExtra');
      const gone = await fetch(`${server.url}/demo-mvpd/DemoExtra/.well-known/openid-configuration`);
      assert.equal(gone.status, 404);
    });

    it('keeps the sessions of the two MVPDs apart', async () => {
      const agent = new UserAgent();
      await signIn(agent, server, 'DemoCable', 'alice');
      const cable = await startLogin(agent, await connectorFor(server, 'DemoCable'), 'DemoCable');
      assert.ok(cable.callback, 'signed in at DemoCable');
      const sat = await startLogin(agent, await connectorFor(server, 'DemoSat'), 'DemoSat');
      assert.ok(sat.form, 'not signed in at DemoSat');
    });
  });

  describe(`demo MVPDs with DOMUS_DEMO_USERS_FILE on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: DemoMvpdServer;
    let dir: string;
    before(async () => {
      database = await kind.create();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-users-'));
      const file = path.join(dir, 'users.json');
      const users = [{ user: 'dave', password: 'open sesame', userID: 'u-dave', householdID: 'h-7', channels: ['*'] }];
      fs.writeFileSync(file, JSON.stringify(users));
      server = await startDemoMvpdServer(database, { DOMUS_DEMO_USERS_FILE: file });
    });
    after(async () => {
      await server.close();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('signs in the configured users only, and shows no password hint', async () => {
      const agent = new UserAgent();
      const connector = await connectorFor(server, 'DemoCable');
      const started = await startLogin(agent, connector, 'DemoCable');
      assert.equal(started.form?.body.includes('Demo users'), false);
      const [loginForm] = forms(started.form?.body ?? '');
      assert.ok(loginForm);
      assert.equal((await agent.post(loginForm.action, { user: 'alice', password: 'alice' })).status, 401);
      const callback = await submitForm(agent, started, 'dave', 'open sesame');
      const login = await connector.exchangeCode(
        codeFrom(connector, callback, started.state),
        started.codeVerifier,
        started.nonce,
      );
      assert.equal(login.subject, 'u-dave');
      assert.equal(login.claims.householdID, 'h-7');
      assert.deepEqual(connector.entitlements(login.claims, 'channels'), ['*']);
    });
  });

  describe(`two Domus processes on one ${kind.name} database`, () => {
    const publicRoot = 'http://domus.test';
    let database: TestDatabase;
    let first: DemoMvpdServer;
    let second: DemoMvpdServer;
    before(async () => {
      database = await kind.create();
      const env = { DOMUS_PUBLIC_URL: publicRoot, DOMUS_MASTER_KEY: randomBytes(32).toString('base64') };
      first = await startDemoMvpdServer(database, env);
      second = await startDemoMvpdServer(database, env);
    });
    after(async () => {
      await first?.close();
      await second?.close();
      await database.drop();
    });

    const via = (server: DemoMvpdServer) => (url: URL) =>
      url.origin === publicRoot ? new URL(url.pathname + url.search, server.url) : url;

    it('finishes on one process a login started on the other', async () => {
      const agent = new UserAgent(via(first));
      const connector = await connectorFor(first, 'DemoCable', via(first));
      const started = await startLogin(agent, connector, 'DemoCable');
      assert.ok(started.form);
      agent.route = via(second);
      const callback = await submitForm(agent, started, 'alice', 'alice');
      const onSecond = await connectorFor(second, 'DemoCable', via(second));
      const login = await onSecond.exchangeCode(
        codeFrom(onSecond, callback, started.state),
        started.codeVerifier,
        started.nonce,
      );
      assert.equal(login.claims.householdID, 'household-1');
      // The session made through the second process is known to the first.
      agent.route = via(first);
      const again = await startLogin(agent, connector, 'DemoCable');
      assert.ok(again.callback, 'signed in without the form');
    });
  });
}
