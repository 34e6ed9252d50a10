/**
 * What Domus serves to browsers (issue 9), on every database:
 *
 * - every page and redirect — the demo identity provider's (sign-in form, sign-out confirmation
 *   and result, error pages, its own oidc-provider answers) and the user-agent steps' (MVPD
 *   picker, signed-in page, error pages, redirects) — carries `X-Content-Type-Options: nosniff`
 *   and a `Referrer-Policy`;
 * - an anonymous visitor stores nothing at the demo provider: its RP-initiated logout
 *   (`/session/end`) used to store a session row for every request, to carry a form's secret.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mvpdLogoutCallbackUrl } from '../src/entitlements/mvpd/paths.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken, call } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshotAll } from './support/snapshot.js';
import { demoMvpdLogin, device } from './support/stored-profiles.js';
import { forms, type Page, UserAgent } from './support/user-agent.js';

const SP = 'DemoChannel';

function assertBrowserHeaders(page: Page): void {
  const what = `${page.status} ${page.url}`;
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer', what);
}

for (const kind of testDatabases()) {
  describe(`issue 9: pages for browsers on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let token: string;
    let endSession: string;

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      ({ token } = await accessToken(server.url, server.admin));
      endSession = `${server.url}/demo-mvpd/DemoCable/session/end`;
      // The demo provider makes its keys on first use: before any snapshot.
      for (const mvpd of ['DemoCable', 'DemoSat']) {
        assert.equal((await fetch(`${server.url}/demo-mvpd/${mvpd}/.well-known/openid-configuration`)).status, 200);
      }
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('stores nothing for an anonymous visitor of the demo provider’s logout', async () => {
      const callback = mvpdLogoutCallbackUrl(server.url, 'DemoCable');
      const before = await snapshotAll(server.domus.storage);
      const visitor = new UserAgent();
      for (const page of [
        await visitor.get(endSession),
        await visitor.get(`${endSession}?post_logout_redirect_uri=${encodeURIComponent(callback)}&state=abc`),
        await visitor.get(`${endSession}?client_id=domus-DemoCable&state=abc`),
        await visitor.post(endSession, {}),
        await visitor.post(`${endSession}/confirm`, { xsrf: 'guess', logout: 'yes' }),
        await visitor.get(`${endSession}/success`),
        await visitor.get(`${server.url}/demo-mvpd/DemoSat/session/end`),
      ]) {
        assert.ok(page.status < 500, `${page.url}: ${page.status} ${page.body}`);
        assertBrowserHeaders(page);
      }
      // A made-up session cookie is no session either.
      const forged = await fetch(endSession, { headers: { cookie: '_session=abc; _session.sig=def' } });
      assert.ok(forged.status < 500);
      await forged.text();
      assert.deepEqual(await snapshotAll(server.domus.storage), before, 'an anonymous visit stored something');
      assert.deepEqual(visitor.cookieNames(), [], 'and set no cookie');
    });

    it('sends an anonymous visitor with a valid hint on to the registered post-logout URI, storing nothing', async () => {
      const idToken = await demoMvpdLogin(server, new UserAgent(), 'DemoCable', 'carol');
      const callback = mvpdLogoutCallbackUrl(server.url, 'DemoCable');
      const before = await snapshotAll(server.domus.storage);
      const visitor = new UserAgent();
      const params = new URLSearchParams({
        id_token_hint: idToken,
        post_logout_redirect_uri: callback,
        state: 'st4te',
      });
      const page = await visitor.get(`${endSession}?${params}`);
      assertBrowserHeaders(page);
      assert.ok(page.status === 302 || page.status === 303, `${page.status} ${page.body}`);
      assert.equal(page.location, `${callback}?state=st4te`);
      // An unregistered URI is not followed; a hint that does not verify is refused.
      const elsewhere = await visitor.get(
        `${endSession}?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/', state: 's' })}`,
      );
      assert.equal(elsewhere.location, undefined);
      assert.ok(elsewhere.status === 400 || elsewhere.status === 200, `${elsewhere.status}`);
      const forgedHint = `${idToken.slice(0, -4)}AAAA`;
      const refused = await visitor.get(
        `${endSession}?${new URLSearchParams({ id_token_hint: forgedHint, post_logout_redirect_uri: callback })}`,
      );
      assert.equal(refused.status, 400, refused.body);
      assert.equal(refused.location, undefined);
      assert.deepEqual(await snapshotAll(server.domus.storage), before);
    });

    it('still signs a visitor with a session out after confirmation', async () => {
      const agent = new UserAgent();
      const idToken = await demoMvpdLogin(server, agent, 'DemoCable', 'alice');
      const callback = mvpdLogoutCallbackUrl(server.url, 'DemoCable');
      const params = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: callback, state: 's1' });
      const confirm = await agent.get(`${endSession}?${params}`);
      assert.equal(confirm.status, 200, confirm.body);
      assertBrowserHeaders(confirm);
      const form = forms(confirm.body).find((f) => f.id === 'op.logoutForm');
      assert.ok(form, 'the sign-out confirmation');
      const done = await agent.post(form.action, { ...form.fields, logout: 'yes' });
      assertBrowserHeaders(done);
      assert.equal(done.location, `${callback}?state=s1`);
    });

    it('sends nosniff and a Referrer-Policy with every page of the demo provider and of the user-agent steps', async () => {
      const pages: Page[] = [];
      const agent = new UserAgent();
      const keep = async (page: Promise<Page>) => {
        const got = await page;
        pages.push(got);
        return got;
      };
      // The MVPD picker, on to the demo provider's sign-in form, a wrong password, the sign-in.
      const created = await call(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token,
        headers: device('pages-tv').headers,
        form: { domainName: 'localhost', redirectUrl: 'http://localhost:3000/done' },
      });
      const picker = await keep(agent.get(`${server.url}/api/v2/authenticate/${SP}/${created.body.code}`));
      assert.equal(picker.status, 200);
      let page = await keep(agent.get(`${picker.url}?mvpd=DemoCable`));
      while (page.status >= 300 && page.status < 400 && page.location) {
        page = await keep(agent.get(new URL(page.location, page.url).href));
      }
      const [login] = forms(page.body);
      assert.ok(login, page.body);
      await keep(agent.post(new URL(login.action, page.url).href, { user: 'alice', password: 'wrong' }));
      page = await keep(agent.post(new URL(login.action, page.url).href, { user: 'alice', password: 'alice' }));
      while (
        page.status >= 300 &&
        page.status < 400 &&
        page.location &&
        !page.location.startsWith('http://localhost:3000')
      ) {
        page = await keep(agent.get(new URL(page.location, page.url).href));
      }
      // Error pages of both.
      await keep(agent.get(`${server.url}/api/v2/authenticate/${SP}/ZZZZZZZ`));
      await keep(agent.get(`${server.url}/api/v2/logout-flow/unknown`));
      await keep(agent.get(`${server.url}/demo-mvpd/DemoCable/interaction/unknown`));
      await keep(agent.get(`${server.url}/demo-mvpd/DemoCable/auth?client_id=nobody`));
      await keep(agent.get(`${server.url}/demo-mvpd/DemoCable/.well-known/openid-configuration`));
      assert.ok(pages.length >= 10);
      for (const each of pages) assertBrowserHeaders(each);
    });
  });
}
