/**
 * Logout on every database (docs/entitlement-api.md, "Logout"): the API answer per
 * case (interactive, complete, invalid), the profile deleted before the answer, refused open
 * redirects, and the user-agent round trip through the built-in DemoCable's RP-initiated logout
 * back to the app's redirectUrl — once from a stored profile, once end to end from a sign-in
 * through Domus's own authenticate flow. Answers are checked against Adobe's OpenAPI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCodeVerifier, OidcConnectors } from '../src/entitlements/mvpd/oidc-connector.js';
import { UserAgentFlows } from '../src/entitlements/user-agent/flow-store.js';
import { Sealer } from '../src/platform/crypto/sealing.js';
import { assertAdobeResponse } from './support/adobe-contract.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { type Answer, accessToken, call } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { demoMvpdLogin, device, saveProfile, signInThroughDomus } from './support/stored-profiles.js';
import { forms, type Page, UserAgent } from './support/user-agent.js';

const APP_DONE = 'http://localhost:3000/signed-out?from=domus';
const logoutPath = (mvpd: string, redirectUrl?: string) =>
  `/api/v2/DemoChannel/logout/${mvpd}${redirectUrl === undefined ? '' : `?redirectUrl=${encodeURIComponent(redirectUrl)}`}`;

/** An HTML page that does not redirect. */
function assertErrorPage(page: Page, status = 400) {
  assert.equal(page.status, status, page.body);
  assert.equal(page.location, undefined);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
}

for (const kind of testDatabases()) {
  describe(`logout on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let clientId: string;

    const logout = (mvpd: string, redirectUrl: string | undefined, headers: Record<string, string>) =>
      call(server.url, 'GET', logoutPath(mvpd, redirectUrl), { token, headers });
    const findProfile = (deviceId: string, mvpd: string) =>
      server.domus.entitlements.profiles.find({ clientId, deviceId, serviceProviderId: 'DemoChannel' }, mvpd);
    const countPendingLogouts = async () => {
      const rows = await server.domus.storage.db
        .selectFrom('user_agent_flows')
        .select('state')
        .where('kind', '=', 'logout')
        .execute();
      return rows.length;
    };
    const answerFor = async (answer: Answer, mvpd: string) => {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      await assertAdobeResponse('GET', logoutPath(mvpd), answer);
      assert.deepEqual(Object.keys(answer.body.logouts), [mvpd]);
      return answer.body.logouts[mvpd];
    };
    const refused = async (answer: Answer, code: string, mvpd = 'DemoCable') => {
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.code, code);
      assert.equal(answer.body.action, 'none');
      await assertAdobeResponse('GET', logoutPath(mvpd), answer);
    };
    /** Follows the logout URL in `agent` through the MVPD's confirmation to where Domus finally sends it. */
    const roundTrip = async (agent: UserAgent, url: string) => {
      const start = await agent.get(url);
      assert.equal(start.status, 302, start.body);
      const toMvpd = new URL(start.location ?? '');
      assert.equal(`${toMvpd.origin}${toMvpd.pathname}`, `${server.url}/demo-mvpd/DemoCable/session/end`);
      assert.ok(toMvpd.searchParams.get('id_token_hint'));
      assert.equal(
        toMvpd.searchParams.get('post_logout_redirect_uri'),
        `${server.url}/api/v2/mvpd-logout-callback/DemoCable`,
      );
      const confirm = await agent.get(toMvpd.href);
      assert.equal(confirm.status, 200, confirm.body);
      const form = forms(confirm.body).find((f) => f.id === 'op.logoutForm');
      assert.ok(form, "the MVPD's sign-out confirmation");
      const done = await agent.post(form.action, { ...form.fields, logout: 'yes' });
      assert.equal(done.status, 303, done.body);
      const callback = new URL(done.location ?? '', form.action);
      assert.equal(`${callback.origin}${callback.pathname}`, `${server.url}/api/v2/mvpd-logout-callback/DemoCable`);
      const back = await agent.get(callback.href);
      return { back, callback: callback.href };
    };
    /** True when a new sign-in at DemoCable in `agent` needs the password (no MVPD session left). */
    const mvpdAsksPassword = async (agent: UserAgent) => {
      const mvpd = await server.domus.entitlements.store.mvpd('DemoCable');
      assert.ok(mvpd);
      const connector = new OidcConnectors({ publicRoot: () => server.url }).for(mvpd);
      const url = await connector.authorizationUrl({ state: 's', nonce: 'n', codeVerifier: createCodeVerifier() });
      const reached = await agent.follow(await agent.get(url), (next) => next.startsWith(connector.redirectUri));
      return typeof reached !== 'string' && forms(reached.body).length > 0;
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
    });

    it('DemoCable: logout/interactive, the profile already gone, then the MVPD round trip ends at redirectUrl', async () => {
      const phone = device('logout-cable-phone');
      const agent = new UserAgent();
      const idToken = await demoMvpdLogin(server, agent, 'DemoCable', 'alice');
      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoCable', idToken });
      const other = device('logout-cable-tablet');
      await saveProfile(server, { clientId, deviceId: other.deviceId, mvpd: 'DemoCable' });

      const entry = await answerFor(await logout('DemoCable', APP_DONE, phone.headers), 'DemoCable');
      assert.equal(entry.mvpd, 'DemoCable');
      assert.equal(entry.actionName, 'logout');
      assert.equal(entry.actionType, 'interactive');
      assert.match(entry.url, new RegExp(`^${server.url}/api/v2/logout-flow/[A-Za-z0-9_-]{43}$`), 'absolute');
      assert.equal(await findProfile(phone.deviceId, 'DemoCable'), undefined, 'deleted before the answer');
      assert.ok(await findProfile(other.deviceId, 'DemoCable'), "another device's profile stays");
      assert.equal(entry.url.includes(idToken), false, 'the ID token stays server side');
      const decision = await call(server.url, 'POST', '/api/v2/DemoChannel/decisions/authorize/DemoCable', {
        token,
        headers: phone.headers,
        json: { resources: ['DemoChannel'] },
      });
      assert.equal(decision.body.code, 'authenticated_profile_missing');

      const { back, callback } = await roundTrip(agent, entry.url);
      assert.equal(back.status, 302);
      assert.equal(back.location, APP_DONE, "back at the app's redirectUrl");
      assert.equal(await mvpdAsksPassword(agent), true, 'signed out at the MVPD too');

      // Both links are one-time.
      assertErrorPage(await new UserAgent().get(entry.url));
      assertErrorPage(await new UserAgent().get(callback));
      // A second logout finds no profile.
      assert.equal(
        (await answerFor(await logout('DemoCable', APP_DONE, phone.headers), 'DemoCable')).actionName,
        'invalid',
      );
    });

    it('DemoSat (no logout endpoint): complete/none, profile deleted', async () => {
      const phone = device('logout-sat-phone');
      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoSat', idToken: 'an.id.token' });
      const entry = await answerFor(await logout('DemoSat', APP_DONE, phone.headers), 'DemoSat');
      assert.deepEqual(entry, { mvpd: 'DemoSat', actionName: 'complete', actionType: 'none' });
      assert.equal(await findProfile(phone.deviceId, 'DemoSat'), undefined);
    });

    it('goes straight back to redirectUrl when the MVPD no longer offers a logout endpoint', async () => {
      const cable = await server.domus.entitlements.store.mvpd('DemoCable');
      assert.ok(cable);
      const extra = { ...cable, id: 'DemoExtra', authNamespace: 'DemoExtra', hasLogoutEndpoint: true };
      await server.domus.entitlements.store.putMvpd(extra);
      await server.admin('PUT', '/integrations/DemoChannel/DemoExtra', { active: true });
      try {
        const phone = device('logout-extra-phone');
        await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoExtra', idToken: 'an.id.token' });
        const entry = await answerFor(await logout('DemoExtra', APP_DONE, phone.headers), 'DemoExtra');
        assert.equal(entry.actionName, 'logout');
        await server.domus.entitlements.store.putMvpd({ ...extra, hasLogoutEndpoint: false });
        const start = await new UserAgent().get(entry.url);
        assert.equal(start.status, 302);
        assert.equal(start.location, APP_DONE);
      } finally {
        await server.admin('DELETE', '/integrations/DemoChannel/DemoExtra');
        await server.domus.entitlements.store.deleteMvpd('DemoExtra');
      }
    });

    it('no valid profile: invalid/none (an expired one is deleted too)', async () => {
      const phone = device('logout-nobody');
      const none = await answerFor(await logout('DemoCable', APP_DONE, phone.headers), 'DemoCable');
      assert.deepEqual(none, { mvpd: 'DemoCable', actionName: 'invalid', actionType: 'none' });

      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoCable', notAfter: Date.now() - 1 });
      const expired = await answerFor(await logout('DemoCable', APP_DONE, phone.headers), 'DemoCable');
      assert.deepEqual(expired, { mvpd: 'DemoCable', actionName: 'invalid', actionType: 'none' });
      assert.equal(await findProfile(phone.deviceId, 'DemoCable'), undefined);
    });

    it('refuses open redirects, bad headers and an inactive integration, and deletes nothing then', async () => {
      const phone = device('logout-refusals');
      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoCable', idToken: 'x.y.z' });
      for (const redirectUrl of [
        undefined,
        '',
        '/signed-out',
        '//evil.example/',
        'https://evil.example/signed-out',
        'http://localhost.evil.example/',
        'http://evil.example\\@localhost/',
        'http://user:pass@localhost/',
        'javascript:alert(1)//localhost',
        'ftp://localhost/',
        `http://localhost/${'x'.repeat(2100)}`,
      ]) {
        await refused(await logout('DemoCable', redirectUrl, phone.headers), 'invalid_parameter_redirect_url');
      }
      await refused(
        await logout('DemoCable', APP_DONE, { 'x-device-info': phone.headers['x-device-info'] }),
        'invalid_header_device_identifier',
      );
      await refused(
        await logout('DemoCable', APP_DONE, { 'ap-device-identifier': phone.headers['ap-device-identifier'] }),
        'invalid_header_device_info',
      );
      await server.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: false });
      try {
        await refused(await logout('DemoCable', APP_DONE, phone.headers), 'invalid_integration');
      } finally {
        await server.admin('PUT', '/integrations/DemoChannel/DemoCable', { active: true });
      }
      await refused(await logout('NoSuchMvpd', APP_DONE, phone.headers), 'invalid_parameter_mvpd', 'NoSuchMvpd');
      assert.ok(await findProfile(phone.deviceId, 'DemoCable'), 'nothing was deleted');

      const unauthenticated = await call(server.url, 'GET', logoutPath('DemoCable', APP_DONE), {
        headers: phone.headers,
      });
      assert.equal(unauthenticated.status, 401);
      assert.ok(await findProfile(phone.deviceId, 'DemoCable'), 'still nothing deleted');
    });

    it('deletes the profile and stores its pending logout together, or neither', async () => {
      const profiles = server.domus.entitlements.profiles;
      const flows = new UserAgentFlows(server.domus.storage.db, new Sealer(server.domus.secrets.masterKey));
      const tv = device('logout-handover-tv');
      const key = { clientId, deviceId: tv.deviceId, serviceProviderId: 'DemoChannel' };
      const record = { serviceProviderId: 'DemoChannel', mvpdId: 'DemoCable', redirectUrl: APP_DONE, stage: 'start' };
      const begin = () => flows.begin('logout', record, 60_000);
      const saved = await saveProfile(server, { clientId, deviceId: tv.deviceId, mvpd: 'DemoCable', idToken: 'h.i.j' });

      // The record cannot be written (its state is in use): the profile stays.
      const clashing = await begin();
      await server.domus.storage.db
        .insertInto('user_agent_flows')
        .values({ state: clashing.state, kind: 'login', sealed_data: 'x', expires_at: Date.now() + 60_000 })
        .execute();
      await assert.rejects(profiles.takeForLogout(key, 'DemoCable', clashing, Date.now()));
      assert.equal((await findProfile(tv.deviceId, 'DemoCable'))?.id, saved.id, 'nothing deleted');

      // Two logouts at once: one takes the profile, and only its record is stored.
      const [first, second] = [await begin(), await begin()];
      const taken = await Promise.all([
        profiles.takeForLogout(key, 'DemoCable', first, Date.now()),
        profiles.takeForLogout(key, 'DemoCable', second, Date.now()),
      ]);
      assert.deepEqual(
        taken.map((profile) => profile?.id),
        taken[0] ? [saved.id, undefined] : [undefined, saved.id],
      );
      const [winner, loser] = taken[0] ? [first, second] : [second, first];
      assert.equal(await findProfile(tv.deviceId, 'DemoCable'), undefined);
      assert.equal(await flows.take('logout', loser.state), undefined);
      const started = await flows.takeWithHandover('logout', winner.state);
      assert.deepEqual(started?.data, record);
      assert.ok(started.handover);
      assert.deepEqual(profiles.openHandover(started.handover), saved.upstream, "the profile's session, taken over");

      // An expired profile is deleted and leaves no record.
      await saveProfile(server, { clientId, deviceId: tv.deviceId, mvpd: 'DemoCable', notAfter: Date.now() - 1 });
      const late = await begin();
      assert.ok(await profiles.takeForLogout(key, 'DemoCable', late, Date.now()));
      assert.equal(await findProfile(tv.deviceId, 'DemoCable'), undefined);
      assert.equal(await flows.take('logout', late.state), undefined);
    });

    it('DemoCable, a profile without an ID token: complete/none, and no pending logout is left', async () => {
      const phone = device('logout-cable-no-id-token');
      await saveProfile(server, { clientId, deviceId: phone.deviceId, mvpd: 'DemoCable' });
      const pendingBefore = await countPendingLogouts();
      const entry = await answerFor(await logout('DemoCable', APP_DONE, phone.headers), 'DemoCable');
      assert.deepEqual(entry, { mvpd: 'DemoCable', actionName: 'complete', actionType: 'none' });
      assert.equal(await findProfile(phone.deviceId, 'DemoCable'), undefined);
      assert.equal(await countPendingLogouts(), pendingBefore);
    });

    it('the user-agent endpoints refuse unknown, expired, crossed and replayed states with a page', async () => {
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/logout-flow/not-a-state`));
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/logout-flow/${'A'.repeat(43)}`));
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoCable`));
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoCable?state=x&state=y`));

      // An expired pending logout, written as the logout endpoint writes one.
      const flows = new UserAgentFlows(server.domus.storage.db, new Sealer(server.domus.secrets.masterKey));
      const pending = {
        serviceProviderId: 'DemoChannel',
        mvpdId: 'DemoCable',
        idToken: 'x.y.z',
        redirectUrl: APP_DONE,
      };
      const expired = await flows.create('logout', { ...pending, stage: 'start' }, 60_000, Date.now() - 120_000);
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/logout-flow/${expired}`));

      // A start link is not a callback state, and a callback state only works for its MVPD.
      const start = await flows.create('logout', { ...pending, stage: 'start' }, 60_000);
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoCable?state=${start}`));
      const atMvpd = await flows.create('logout', { ...pending, stage: 'mvpd' }, 60_000);
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoSat?state=${atMvpd}`));
      assertErrorPage(
        await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoCable?state=${atMvpd}`),
        400,
      );
      const fresh = await flows.create('logout', { ...pending, stage: 'mvpd' }, 60_000);
      const good = await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoCable?state=${fresh}`);
      assert.equal(good.status, 302);
      assert.equal(good.location, APP_DONE);
      // A login flow's state is not a logout's.
      const login = await flows.create('login', { ...pending, stage: 'mvpd' }, 60_000);
      assertErrorPage(await new UserAgent().get(`${server.url}/api/v2/mvpd-logout-callback/DemoCable?state=${login}`));
      assert.deepEqual(await flows.take('login', login), { ...pending, stage: 'mvpd' }, 'and is left alone');
    });

    it('end to end: sign in through Domus, authorize, log out, sign-in needed again', async () => {
      const tv = device('logout-e2e-tv');
      const agent = new UserAgent();
      await signInThroughDomus(server, agent, { token, headers: tv.headers, mvpd: 'DemoCable', user: 'bob' });

      const authorize = () =>
        call(server.url, 'POST', '/api/v2/DemoChannel/decisions/authorize/DemoCable', {
          token,
          headers: tv.headers,
          json: { resources: ['DemoChannel'] },
        });
      assert.equal((await authorize()).body.decisions?.[0]?.authorized, true);

      const entry = await answerFor(await logout('DemoCable', APP_DONE, tv.headers), 'DemoCable');
      assert.equal(entry.actionName, 'logout');
      assert.equal((await authorize()).body.code, 'authenticated_profile_missing');
      const { back } = await roundTrip(agent, entry.url);
      assert.equal(back.location, APP_DONE);
      assert.equal(await mvpdAsksPassword(agent), true);
    });
  });
}
