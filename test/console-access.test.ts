/**
 * Issue 12, item 2: who gets into the operator console. Nothing of the console or the admin API
 * answers without the admin token or a console session; the session cookie is HttpOnly,
 * SameSite=Strict and Secure off localhost; every change made with the cookie needs the
 * session's CSRF token; a sign-in or change from another site is refused; sign-out ends the
 * session everywhere; the operator password signs in and its change ends its sessions; every
 * console response carries the security headers. Over HTTP here; in Chromium below (a real
 * cross-site form post, with the operator signed in in the same browser).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ConsoleSessions, SESSION_IDLE_MS, SESSION_MAX_MS } from '../src/console/sessions.js';
import { AdminGuard } from '../src/platform/http/admin.js';
import { browserSkipReason, launchBrowser } from './support/browser.js';
import { checkPage, openPage, signedIn } from './support/console.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const skip = browserSkipReason();
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

/** The cookie's `name=value` from a Set-Cookie header. */
const cookiePair = (setCookie: string | null) => (setCookie ?? '').split(';')[0] as string;

for (const kind of testDatabases()) {
  describe(`issue 12: console access on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_ADMIN_AUTH_LIMIT: '1/min,5' });
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    /** Signs in with `credential`; answers the session's cookie pair and CSRF token. */
    async function signIn(credential = server.adminToken) {
      const response = await fetch(`${server.url}/console/sign-in`, form({ credential }));
      assert.equal(response.status, 303, await response.text());
      assert.equal(response.headers.get('location'), '/console/');
      const cookie = cookiePair(response.headers.get('set-cookie'));
      const session = await fetch(`${server.url}/console/session`, { headers: { cookie } });
      assert.equal(session.status, 200);
      const { csrfToken } = (await session.json()) as { csrfToken: string };
      return { cookie, csrfToken };
    }

    it('shows nothing but the sign-in page without a credential', async () => {
      const page = await fetch(`${server.url}/console/domains`, { redirect: 'manual' });
      assert.equal(page.status, 303);
      assert.equal(page.headers.get('location'), '/console/sign-in');
      for (const path of ['/console/session', '/console/assets/index.js', '/admin/v1/domains', '/admin/v1/mvpds']) {
        const response = await fetch(`${server.url}${path}`, { headers: { cookie: 'domus_console=forged' } });
        assert.equal(response.status, 401, path);
      }
      const signInPage = await fetch(`${server.url}/console/sign-in`);
      assert.equal(signInPage.status, 200);
      const html = await signInPage.text();
      assert.match(html, /Admin token or operator password/);
      assert.doesNotMatch(html, /<script/i);
    });

    it('signs in with the admin token: an HttpOnly, SameSite=Strict cookie, not Secure on localhost', async () => {
      const wrong = await fetch(`${server.url}/console/sign-in`, form({ credential: 'not the token' }));
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get('set-cookie'), null);
      assert.match(await wrong.text(), /neither the admin token nor the operator password/);

      const response = await fetch(`${server.url}/console/sign-in`, form({ credential: server.adminToken }));
      assert.equal(response.status, 303);
      const setCookie = response.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^domus_console=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
      const cookie = cookiePair(setCookie);
      const domains = await fetch(`${server.url}/admin/v1/domains`, { headers: { cookie } });
      assert.equal(domains.status, 200);
      const index = await fetch(`${server.url}/console/`, { headers: { cookie } });
      assert.equal(index.status, 200);
      assert.match(await index.text(), /<script type="module" crossorigin src="\/console\/assets\/index-[^"]+\.js"/);
    });

    it('makes the cookie Secure off localhost, and will not sign in over plain HTTP there', async () => {
      const { request } = await import('node:http');
      const port = new URL(server.url).port;
      const answer = await new Promise<{ status: number; setCookie: string[] | undefined; body: string }>(
        (resolve, reject) => {
          const body = new URLSearchParams({ credential: server.adminToken }).toString();
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/console/sign-in',
              method: 'POST',
              headers: {
                host: `console.example:${port}`,
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(body),
              },
            },
            (res) => {
              let text = '';
              res.on('data', (chunk) => {
                text += chunk;
              });
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'], body: text }),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        },
      );
      assert.equal(answer.status, 400);
      assert.equal(answer.setCookie, undefined);
      assert.match(answer.body, /needs HTTPS/);
    });

    it('needs the CSRF token for every change made with the cookie, and changes nothing without it', async () => {
      const { cookie, csrfToken } = await signIn();
      const put = (headers: Record<string, string>) =>
        fetch(`${server.url}/admin/v1/domains/anonymous/csrf-check`, {
          method: 'PUT',
          headers: { cookie, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ maxMembership: 3 }),
        });
      for (const headers of <Record<string, string>[]>[
        {},
        { 'x-csrf-token': 'x'.repeat(43) },
        { 'x-csrf-token': csrfToken, 'sec-fetch-site': 'cross-site' },
      ]) {
        const refused = await put(headers);
        assert.equal(refused.status, 403, JSON.stringify(headers));
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'forbidden');
      }
      assert.equal((await server.admin('GET', '/domains/anonymous/csrf-check')).status, 404, 'nothing was made');
      const made = await put({ 'x-csrf-token': csrfToken, 'sec-fetch-site': 'same-origin' });
      assert.equal(made.status, 201);
      assert.equal((await server.admin('GET', '/domains/anonymous/csrf-check')).body.policy.maxMembership, 3);
    });

    it('refuses a sign-in posted from another site', async () => {
      const response = await fetch(`${server.url}/console/sign-in`, {
        ...form({ credential: server.adminToken }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      });
      assert.equal(response.status, 403);
      assert.equal(response.headers.get('set-cookie'), null);
      const byOrigin = await fetch(`${server.url}/console/sign-in`, {
        ...form({ credential: server.adminToken }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      });
      assert.equal(byOrigin.status, 403);
    });

    it('signs out only with the CSRF token, and then the cookie opens nothing', async () => {
      const { cookie, csrfToken } = await signIn();
      const without = await fetch(`${server.url}/console/sign-out`, {
        ...form({ csrf: 'x'.repeat(43) }),
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(without.status, 403);
      assert.equal((await fetch(`${server.url}/admin/v1/domains`, { headers: { cookie } })).status, 200);
      const out = await fetch(`${server.url}/console/sign-out`, {
        ...form({ csrf: csrfToken }),
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(out.status, 303);
      assert.equal(out.headers.get('location'), '/console/sign-in');
      assert.match(
        out.headers.get('set-cookie') ?? '',
        /^domus_console=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/,
      );
      assert.equal((await fetch(`${server.url}/admin/v1/domains`, { headers: { cookie } })).status, 401);
      assert.equal((await fetch(`${server.url}/console/session`, { headers: { cookie } })).status, 401);
    });

    it('signs in with the operator password; a new password ends the sessions of the old one', async () => {
      const none = await server.admin('GET', '/console/password');
      assert.deepEqual(none.body, { set: false });
      const short = await server.admin('PUT', '/console/password', { password: 'short' });
      assert.equal(short.status, 400);
      assert.equal(short.body.error.field, 'password');
      assert.equal((await server.admin('PUT', '/console/password', { password: 'correct horse battery' })).status, 200);
      const byPassword = await signIn('correct horse battery');
      const byToken = await signIn();
      assert.equal((await server.admin('PUT', '/console/password', { password: 'another long password' })).status, 200);
      const headers = (cookie: string) => ({ headers: { cookie } });
      assert.equal((await fetch(`${server.url}/admin/v1/domains`, headers(byPassword.cookie))).status, 401);
      assert.equal((await fetch(`${server.url}/admin/v1/domains`, headers(byToken.cookie))).status, 200);
      const old = await fetch(`${server.url}/console/sign-in`, form({ credential: 'correct horse battery' }));
      assert.equal(old.status, 401);
      await signIn('another long password');
      assert.deepEqual((await server.admin('DELETE', '/console/password')).body, { set: false });
      const cleared = await fetch(`${server.url}/console/sign-in`, form({ credential: 'another long password' }));
      assert.equal(cleared.status, 401);
    });

    it('limits wrong sign-ins per address like wrong admin tokens', async () => {
      let last = 0;
      for (let attempt = 0; attempt < 8 && last !== 429; attempt++) {
        last = (await fetch(`${server.url}/console/sign-in`, form({ credential: `guess ${attempt}` }))).status;
      }
      assert.equal(last, 429);
      const right = await fetch(`${server.url}/console/sign-in`, form({ credential: server.adminToken }));
      assert.equal(right.status, 429, 'the right token is refused too while the address is blocked');
      assert.ok(Number(right.headers.get('retry-after')) > 0);
      assert.equal(right.headers.get('set-cookie'), null);
      await server.domus.storage.db.deleteFrom('throttle_buckets').execute();
    });

    it('ends a session after an hour unused or twelve hours in all', async () => {
      const sessions = new ConsoleSessions(
        server.domus.storage,
        new AdminGuard(server.adminToken, null).fingerprint('console-session'),
      );
      const start = Date.now() - SESSION_MAX_MS - 1000;
      const { id } = await sessions.create('admin-token', start);
      // Used every 50 minutes: never idle for an hour, still over at twelve hours.
      for (let at = start; at < start + SESSION_MAX_MS - 50 * 60_000; at += 50 * 60_000) {
        assert.ok(await sessions.find(id, at), `alive at +${(at - start) / 60_000} min`);
      }
      assert.equal(await sessions.find(id), null);
      const idle = await sessions.create('admin-token', Date.now() - SESSION_IDLE_MS - 1000);
      assert.equal(await sessions.find(idle.id), null);
      await sessions.purge();
      const expired = await server.domus.storage.db
        .selectFrom('console_sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('expires_at', '<=', Date.now())
        .executeTakeFirstOrThrow();
      assert.equal(Number(expired.n), 0, 'purged');
    });

    it('holds a session in every process sharing the database, and ends it when the admin token changes', async () => {
      const { cookie } = await signIn();
      const sameToken = await startTestServer(db, {
        DOMUS_MASTER_KEY: server.domus.secrets.masterKey.toString('base64'),
        DOMUS_ADMIN_TOKEN: server.adminToken,
      });
      const newToken = await startTestServer(db, {
        DOMUS_MASTER_KEY: server.domus.secrets.masterKey.toString('base64'),
        DOMUS_ADMIN_TOKEN: 'a-rotated-admin-token-of-the-test',
      });
      try {
        const domains = (url: string) => fetch(`${url}/admin/v1/domains`, { headers: { cookie } });
        assert.equal((await domains(sameToken.url)).status, 200, 'another process knows the session');
        assert.equal((await domains(newToken.url)).status, 401, 'a new admin token ends the old one’s sessions');
        assert.equal((await fetch(`${newToken.url}/console/session`, { headers: { cookie } })).status, 401);
      } finally {
        await sameToken.close();
        await newToken.close();
      }
    });

    it('puts the security headers on every console response', async () => {
      const { cookie } = await signIn();
      const index = await fetch(`${server.url}/console/`, { headers: { cookie } });
      const script = /src="(\/console\/assets\/[^"]+)"/.exec(await index.text())?.[1] as string;
      for (const [path, withCookie] of [
        ['/console/sign-in', false],
        ['/console/', true],
        ['/console/domains', true],
        [script, true],
        ['/console/session', true],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, withCookie ? { headers: { cookie } } : {});
        assert.equal(response.status, 200, path);
        const csp = response.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/, path);
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
        assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      }
    });

    describe('in Chromium', { skip }, () => {
      let browser: Browser;
      let attacker: http.Server;
      let attackerUrl: string;

      before(async () => {
        browser = await launchBrowser();
        // Another site (127.0.0.1 is not the same site as localhost) whose page posts a form at the console's API.
        attacker = http.createServer((_request, response) => {
          response.setHeader('content-type', 'text/html');
          response.end(`<!DOCTYPE html><title>Win a prize</title>
<form method="post" action="${server.url}/admin/v1/domains/anonymous/family/rollover"><button>Claim</button></form>
<form method="post" action="${server.url}/console/sign-in"><input name="credential" value="wrong"><button>Sign in there</button></form>`);
        });
        await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
        attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
      });
      after(async () => {
        await browser?.close();
        await new Promise((resolve) => attacker?.close(resolve));
      });

      it('a wrong or missing credential sees nothing of the console', async () => {
        const opened = await openPage(browser);
        await opened.page.goto(`${server.url}/console/domains`);
        await opened.page.waitForURL(`${server.url}/console/sign-in`);
        await opened.page.getByLabel('Admin token or operator password').fill('wrong');
        await opened.page.getByRole('button', { name: 'Sign in' }).click();
        await opened.page.getByRole('alert').waitFor();
        assert.match((await opened.page.getByRole('alert').textContent()) ?? '', /neither the admin token/);
        assert.equal(opened.page.url(), `${server.url}/console/sign-in`);
        assert.equal((await opened.page.context().cookies()).length, 0);
        await checkPage(opened, `sign-in-${kind.name}`);
        await opened.close();
      });

      it('refuses a cross-site form post while the operator is signed in', async () => {
        await server.admin('PUT', '/domains/anonymous/family', { maxMembership: 4 });
        const opened = await signedIn(browser, server.url, server.adminToken);
        const cookies = await opened.page.context().cookies();
        assert.equal(cookies.length, 1);
        assert.equal(cookies[0]?.httpOnly, true);
        assert.equal(cookies[0]?.sameSite, 'Strict');
        await opened.page.goto(attackerUrl);
        await opened.page.getByRole('button', { name: 'Claim' }).click();
        await opened.page.waitForLoadState();
        const body = (await opened.page.textContent('body')) ?? '';
        assert.match(body, /unauthorized|forbidden/);
        const domain = await server.admin('GET', '/domains/anonymous/family');
        assert.equal(domain.body.keyRolloverRequired, false, 'the cross-site post changed nothing');
        await opened.page.goto(attackerUrl);
        await opened.page.getByRole('button', { name: 'Sign in there' }).click();
        await opened.page.waitForLoadState();
        assert.match((await opened.page.textContent('body')) ?? '', /another site/);
        // Still signed in: the refused posts did not touch the session.
        assert.equal((await opened.page.goto(`${server.url}/console/session`))?.status(), 200);
        await opened.close();
      });
    });
  });
}
