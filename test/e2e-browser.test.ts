/**
 * The flows of Adobe's REST API V2 documentation driven for real in headless Chromium, on every
 * database: the app's calls go over HTTP (checked against Adobe's OpenAPI), the user agent is a
 * real browser that types into the demo MVPD's sign-in form, clicks Domus's MVPD picker and the
 * MVPD's sign-out page, and arrives at the redirectUrl of a small local "app" server.
 *
 * 1. primary application: DCR, session, sign-in, profile, authorize with a media token the
 *    verifier library accepts, logout through the MVPD and back, sign-in needed again;
 * 2. second screen with the MVPD chosen on the TV;
 * 3. second screen without an MVPD: Domus's picker;
 * 4. logout at an MVPD without a logout endpoint; 5. logout without a profile;
 * 6. a viewer the MVPD does not entitle is denied.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { oneTimeUse, verifyMediaToken } from '../src/entitlements/tokens/media-token-verifier.js';
import { assertAdobeErrorBody, assertAdobeResponse } from './support/adobe-contract.js';
import { browserSkipReason, launchBrowser } from './support/browser.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { call, deviceInfoHeader, softwareStatement } from './support/pass-client.js';
import { device, v2 } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';

const SP = 'DemoChannel';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const TV_INFO = {
  primaryHardwareType: 'TV',
  model: 'Bravia',
  version: '2.0.1',
  manufacturer: 'Sony',
  osName: 'Android',
  osVersion: '12',
  connectionType: 'LAN',
};

const skip = browserSkipReason();

/** The app's own web server: answers every path with a small page and records what the browser asked. */
interface App {
  url: string;
  visited: string[];
  close(): Promise<void>;
}

async function startApp(): Promise<App> {
  const visited: string[] = [];
  const server = http.createServer((request, response) => {
    visited.push(request.url ?? '/');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end('<!DOCTYPE html><title>Demo app</title><h1 id="app">Back in the app</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    visited,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// One browser and one app server for the file; screenshots in a temporary directory, kept when
// DOMUS_E2E_SCREENSHOTS names one.
let browser: Browser | undefined;
let app: App | undefined;
const shotsDir = process.env.DOMUS_E2E_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'domus-e2e-shots-'));
before(async () => {
  if (skip) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  browser = await launchBrowser();
  app = await startApp();
});
after(async () => {
  await browser?.close();
  await app?.close();
  if (!process.env.DOMUS_E2E_SCREENSHOTS) fs.rmSync(shotsDir, { recursive: true, force: true });
});

/** Fills the demo MVPD's sign-in form (password = user name) and submits it. */
async function signIn(page: Page, user: string): Promise<void> {
  await page.locator('#user').fill(user);
  await page.locator('#password').fill(user);
  await page.locator('form:has(#password) button[type=submit]').click();
}

/** A screenshot of the page, checked to be a non-empty PNG. */
async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(shotsDir, name);
  await page.screenshot({ path: file, fullPage: true });
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.length > 1000, `${file}: ${bytes.length} bytes`);
  assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, `${file} is a PNG`);
  return file;
}

for (const kind of testDatabases()) {
  describe(`end to end in Chromium on ${kind.name}`, { skip }, () => {
    let database: TestDatabase;
    let server: TestServer;
    const contexts: BrowserContext[] = [];
    /** What the pages reported as errors: script errors, console errors (CSP violations among them). */
    const pageErrors: string[] = [];

    /** A fresh browser profile (its own cookies: its own MVPD sessions). */
    const newPage = async () => {
      assert.ok(browser);
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      page.on('console', (message) => {
        // Chromium asks every origin for /favicon.ico on its own; Domus serves none.
        if (message.type() !== 'error' || message.location().url.endsWith('/favicon.ico')) return;
        pageErrors.push(`${page.url()}: ${message.text()} [${message.location().url}]`);
      });
      return page;
    };
    /** A redirect URL at the app; `tag` tells the flows apart. */
    const appUrl = (tag: string) => {
      assert.ok(app);
      return `${app.url}/done?flow=${tag}`;
    };
    /** Waits for the browser to arrive at the app's `url`, and checks the app served that page. */
    const arrivesAt = async (page: Page, url: string) => {
      await page.waitForURL((current) => current.href === url);
      assert.equal(await page.locator('#app').textContent(), 'Back in the app');
      const { pathname, search } = new URL(url);
      assert.ok(app?.visited.includes(pathname + search), `the app served ${url}`);
    };

    /** DCR and an access token, with both answers checked against Adobe's DCR OpenAPI. */
    const register = async () => {
      const registered = await call(server.url, 'POST', '/o/client/register', {
        json: { software_statement: await softwareStatement(server.admin) },
        headers: { 'x-device-info': deviceInfoHeader() },
      });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      await assertAdobeResponse('POST', '/o/client/register', registered);
      const { client_id, client_secret } = registered.body;
      const issued = await call(server.url, 'POST', '/o/client/token', {
        form: { client_id, client_secret, grant_type: 'client_credentials' },
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      await assertAdobeResponse('POST', '/o/client/token', issued);
      assert.equal(issued.body.token_type, 'bearer');
      return issued.body.access_token as string;
    };
    const createSession = async (token: string, headers: Record<string, string>, form: Record<string, string>) => {
      const answer = await v2(server.url, 'POST', `/api/v2/${SP}/sessions`, { token, headers, form });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const profiles = async (token: string, headers: Record<string, string>, mvpd?: string) => {
      const answer = await v2(server.url, 'GET', `/api/v2/${SP}/profiles${mvpd ? `/${mvpd}` : ''}`, { token, headers });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const profilesByCode = async (token: string, code: string) => {
      const answer = await v2(server.url, 'GET', `/api/v2/${SP}/profiles/code/${code}`, { token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    /** The TV's poll of profiles/code/{code}: a bounded loop until the profile of `mvpd` appears. */
    const pollForProfile = async (token: string, code: string, mvpd: string) => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const body = await profilesByCode(token, code);
        if (body.profiles[mvpd]) return body.profiles[mvpd];
        await sleep(200);
      }
      assert.fail(`no ${mvpd} profile for ${code}`);
    };
    const authorize = async (token: string, headers: Record<string, string>, mvpd: string) => {
      const pathname = `/api/v2/${SP}/decisions/authorize/${mvpd}`;
      return v2(server.url, 'POST', pathname, { token, headers, json: { resources: ['DemoChannel'] } });
    };
    const logout = async (token: string, headers: Record<string, string>, mvpd: string, redirectUrl: string) => {
      const pathname = `/api/v2/${SP}/logout/${mvpd}?redirectUrl=${encodeURIComponent(redirectUrl)}`;
      const answer = await v2(server.url, 'GET', pathname, { token, headers });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body.logouts), [mvpd]);
      return answer.body.logouts[mvpd];
    };
    /** Signs `user` in at `mvpd` for a new device in a fresh browser; answers the device's headers. */
    const signedIn = async (token: string, deviceId: string, mvpd: string, user: string) => {
      const headers = device(deviceId);
      const redirectUrl = appUrl(deviceId);
      const session = await createSession(token, headers, { mvpd, domainName: 'localhost', redirectUrl });
      assert.equal(session.actionName, 'authenticate');
      const page = await newPage();
      await page.goto(server.url + session.url);
      await signIn(page, user);
      await arrivesAt(page, redirectUrl);
      return headers;
    };

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
    });
    afterEach(() => {
      assert.deepEqual(pageErrors.splice(0), [], 'no page reported an error');
    });
    after(async () => {
      for (const context of contexts) await context.close();
      await server?.close();
      await database?.drop();
    });

    it('primary application: sign in, profile, authorize with a media token, log out through the MVPD', async (t) => {
      const token = await register();
      const headers = device('e2e-primary');
      const redirectUrl = appUrl('primary');
      assert.deepEqual(await profiles(token, headers), { profiles: {} }, 'not signed in yet');

      const session = await createSession(token, headers, { mvpd: 'DemoCable', domainName: '127.0.0.1', redirectUrl });
      assert.equal(session.actionName, 'authenticate');
      assert.equal(session.actionType, 'interactive');
      assert.equal(session.url, `/api/v2/authenticate/${SP}/${session.code}`);

      const page = await newPage();
      await page.goto(server.url + session.url);
      assert.match(new URL(page.url()).pathname, /^\/demo-mvpd\/DemoCable\/interaction\//, "the MVPD's sign-in");
      assert.match(await page.title(), /Sign in to Demo Cable/);
      await screenshot(page, `login-form-${kind.name}.png`);
      await signIn(page, 'alice');
      await arrivesAt(page, redirectUrl);

      const byCode = await profilesByCode(token, session.code);
      assert.deepEqual(Object.keys(byCode.profiles), ['DemoCable']);
      assert.equal(byCode.profiles.DemoCable.issuer, 'DemoCable');
      assert.deepEqual(byCode.profiles.DemoCable.attributes.userID, { value: 'alice', state: 'plain' });
      assert.deepEqual(byCode.profiles.DemoCable.attributes.householdID, { value: 'household-1', state: 'plain' });
      assert.deepEqual(await profiles(token, headers), byCode, "the device's profiles");

      const decision = await authorize(token, headers, 'DemoCable');
      assert.equal(decision.status, 200, JSON.stringify(decision.body));
      const [permit] = decision.body.decisions;
      assert.equal(permit.authorized, true, JSON.stringify(permit));
      assert.equal(permit.resource, 'DemoChannel');
      assert.equal(permit.mvpd, 'DemoCable');
      const jwks = `${server.url}/media-tokens/jwks.json`;
      const markUsed = oneTimeUse();
      const verified = await verifyMediaToken(permit.token.serializedToken, {
        jwks,
        resource: 'DemoChannel',
        markUsed,
      });
      assert.equal(verified.status, 'VALID_TOKEN');
      assert.equal(verified.token?.requestor, SP);
      assert.equal(verified.token?.mvpd, 'DemoCable');
      const replay = await verifyMediaToken(permit.token.serializedToken, { jwks, resource: 'DemoChannel', markUsed });
      assert.equal(replay.status, 'TOKEN_ALREADY_USED');

      // While the MVPD session lives, another device's sign-in in this browser needs no password.
      const other = device('e2e-primary-other');
      const otherUrl = appUrl('primary-other');
      const otherSession = await createSession(token, other, {
        mvpd: 'DemoCable',
        domainName: 'localhost',
        redirectUrl: otherUrl,
      });
      await page.goto(server.url + otherSession.url);
      await arrivesAt(page, otherUrl);

      const signedOutUrl = appUrl('primary-signed-out');
      const entry = await logout(token, headers, 'DemoCable', signedOutUrl);
      assert.equal(entry.actionName, 'logout');
      assert.equal(entry.actionType, 'interactive');
      assert.ok(entry.url.startsWith(`${server.url}/api/v2/logout-flow/`), `absolute: ${entry.url}`);
      await page.goto(entry.url);
      // The MVPD's sign-out page submits itself when the hint names its user; else the user confirms.
      let confirmed = false;
      for (let attempt = 0; attempt < 50 && page.url() !== signedOutUrl; attempt++) {
        const atMvpd = new URL(page.url()).pathname.startsWith('/demo-mvpd/DemoCable/session/end');
        if (atMvpd && attempt >= 10 && !confirmed && (await page.locator('#signout').isVisible())) {
          confirmed = true;
          await page.locator('#signout').click();
        }
        await sleep(100);
      }
      t.diagnostic(confirmed ? 'signed out at the MVPD with a click' : "the MVPD's sign-out page submitted itself");
      await arrivesAt(page, signedOutUrl);

      assert.deepEqual(await profiles(token, headers), { profiles: {} });
      assert.deepEqual(await profiles(token, headers, 'DemoCable'), { profiles: {} });
      // A top-level 403 Adobe's OpenAPI does not list for decisions (docs: differences from Adobe).
      const denied = await call(server.url, 'POST', `/api/v2/${SP}/decisions/authorize/DemoCable`, {
        token,
        headers,
        json: { resources: ['DemoChannel'] },
      });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, 'authenticated_profile_missing');
      await assertAdobeErrorBody(denied.body);

      // The MVPD session ended: a new sign-in in the same browser asks for the password again.
      const again = await createSession(token, headers, { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl });
      assert.equal(again.actionName, 'authenticate');
      await page.goto(server.url + again.url);
      assert.match(new URL(page.url()).pathname, /^\/demo-mvpd\/DemoCable\/interaction\//);
      assert.equal(await page.locator('#password').isVisible(), true);
    });

    it('second screen, MVPD chosen on the TV: the phone signs in with the code, the TV polls', async () => {
      const tvToken = await register();
      const phoneToken = await register();
      const tv = device('e2e-tv-preselected', TV_INFO);
      const redirectUrl = appUrl('second-screen-preselected');
      const session = await createSession(tvToken, tv, { mvpd: 'DemoSat', domainName: 'localhost', redirectUrl });
      assert.equal(session.actionName, 'authenticate');
      assert.deepEqual(await profilesByCode(tvToken, session.code), { profiles: {} }, 'not yet');

      // The second-screen app checks the typed code (and the TV it belongs to).
      const read = await v2(server.url, 'GET', `/api/v2/${SP}/sessions/${session.code}`, { token: phoneToken });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.existingParameters.mvpd, 'DemoSat');
      assert.deepEqual(read.body.missingParameters, []);
      assert.equal(read.body.device.model, 'Bravia');

      const page = await newPage();
      await page.goto(`${server.url}/api/v2/authenticate/${SP}/${session.code}`);
      assert.match(new URL(page.url()).pathname, /^\/demo-mvpd\/DemoSat\/interaction\//);
      await signIn(page, 'bob');
      await arrivesAt(page, redirectUrl);

      const profile = await pollForProfile(tvToken, session.code, 'DemoSat');
      assert.equal(profile.attributes.userID.value, 'bob');
      assert.equal(profile.attributes.householdID.value, 'household-1');
      assert.deepEqual(Object.keys((await profiles(tvToken, tv)).profiles), ['DemoSat'], "the TV's profile");
    });

    it('second screen, no MVPD on the TV: the phone picks DemoCable in the picker, the TV polls', async () => {
      const tvToken = await register();
      const phoneToken = await register();
      const tv = device('e2e-tv-picker', TV_INFO);
      const session = await createSession(tvToken, tv, { domainName: 'localhost' });
      assert.equal(session.actionName, 'resume');
      assert.deepEqual(session.missingParameters, ['mvpd', 'redirectUrl']);

      const read = await v2(server.url, 'GET', `/api/v2/${SP}/sessions/${session.code}`, { token: phoneToken });
      assert.deepEqual(read.body.missingParameters, ['mvpd', 'redirectUrl']);
      const redirectUrl = appUrl('second-screen-picker');
      const retry = await v2(server.url, 'POST', `/api/v2/${SP}/sessions/${session.code}`, {
        token: phoneToken,
        form: { redirectUrl },
      });
      assert.equal(retry.body.actionName, 'retry');
      assert.deepEqual(retry.body.missingParameters, ['mvpd']);

      const page = await newPage();
      await page.goto(`${server.url}/api/v2/authenticate/${SP}/${session.code}`);
      assert.equal(await page.locator('h1').textContent(), 'Choose your TV provider');
      assert.deepEqual(await page.locator('a.mvpd').allTextContents(), ['Demo Cable', 'Demo Satellite']);
      assert.match((await page.locator('main, body').first().textContent()) ?? '', /Bravia \(Android 12\)/);
      await screenshot(page, `picker-${kind.name}.png`);
      await page.locator('a.mvpd', { hasText: 'Demo Cable' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/demo-mvpd/DemoCable/interaction/'));
      await signIn(page, 'alice');
      await arrivesAt(page, redirectUrl);

      const profile = await pollForProfile(tvToken, session.code, 'DemoCable');
      assert.equal(profile.attributes.userID.value, 'alice');
      const after = await v2(server.url, 'GET', `/api/v2/${SP}/sessions/${session.code}`, { token: phoneToken });
      assert.equal(after.body.existingParameters.mvpd, 'DemoCable', 'the picker recorded the choice');
    });

    it('logout at an MVPD without a logout endpoint (DemoSat): complete/none, the profile gone', async () => {
      const token = await register();
      const headers = await signedIn(token, 'e2e-sat-logout', 'DemoSat', 'bob');
      assert.deepEqual(Object.keys((await profiles(token, headers)).profiles), ['DemoSat']);
      const entry = await logout(token, headers, 'DemoSat', appUrl('sat-signed-out'));
      assert.deepEqual(entry, { mvpd: 'DemoSat', actionName: 'complete', actionType: 'none' });
      assert.deepEqual(await profiles(token, headers, 'DemoSat'), { profiles: {} });
      assert.deepEqual(await profiles(token, headers), { profiles: {} });
    });

    it('logout without a profile: invalid/none', async () => {
      const token = await register();
      const entry = await logout(token, device('e2e-nobody'), 'DemoCable', appUrl('nobody-signed-out'));
      assert.deepEqual(entry, { mvpd: 'DemoCable', actionName: 'invalid', actionType: 'none' });
    });

    it('carol, signed in but not entitled: authorize denies with authorization_denied_by_mvpd', async () => {
      const token = await register();
      const headers = await signedIn(token, 'e2e-carol', 'DemoCable', 'carol');
      const decision = await authorize(token, headers, 'DemoCable');
      assert.equal(decision.status, 200, JSON.stringify(decision.body));
      const [deny] = decision.body.decisions;
      assert.equal(deny.authorized, false);
      assert.equal(deny.token, undefined);
      assert.equal(deny.error.code, 'authorization_denied_by_mvpd');
      assert.equal(deny.error.status, 403);
    });
  });
}
