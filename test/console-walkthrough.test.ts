/**
 * Issue 12, "done when", in headless Chromium on both databases: a newcomer opens the front page,
 * follows the link to the console, signs in with the admin token, registers an application
 * (whose software statement then registers a client), watches a demo device join a domain,
 * removes it, sees the key version advance at the next join, and signs out, after which the
 * session opens nothing. The run also writes the README's screenshot of the console
 * (artifacts/console/readme-console.png, copied by hand to docs/images/console.png).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DeviceClient } from '../src/device/device-client.js';
import { simulatedComponents } from '../src/device/hardware.js';
import { browserSkipReason, launchBrowser } from './support/browser.js';
import { checkPage, openPage, SCREENSHOT_DIR } from './support/console.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { registerClient } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const skip = browserSkipReason();

for (const kind of testDatabases()) {
  describe(`issue 12: a newcomer's first visit to the console on ${kind.name}`, { skip }, () => {
    let db: TestDatabase;
    let server: TestServer;
    let browser: Browser;
    const dirs: string[] = [];

    async function demoDevice(seed: string) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-walkthrough-'));
      dirs.push(dir);
      const client = new DeviceClient(dir, { components: simulatedComponents(seed) });
      await client.individualize(server.url);
      return client;
    }

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_DEMO: 'true' });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.close();
      await db?.drop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('front page, sign-in, an application, a device joins and is removed, the key advances, sign-out', async () => {
      const opened = await openPage(browser);
      const { page } = opened;
      const familyUrl = `${server.url}/flashaccess/domainserver/family`;

      // The front page links to the console, which asks for the admin token.
      await page.goto(`${server.url}/`);
      await page.getByRole('link', { name: 'Operator console' }).click();
      await page.waitForURL(`${server.url}/console/sign-in`);
      await page.getByLabel('Admin token or operator password').fill(server.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();

      // An application, whose software statement is good for Dynamic Client Registration.
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Applications' }).click();
      await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Newcomer app');
      await page.getByLabel('Service providers').fill('DemoChannel');
      await page.getByLabel('Redirect domains').fill('newcomer.example');
      await page.getByRole('button', { name: 'Register' }).click();
      const statement = page.getByLabel('Software statement');
      await statement.waitFor();
      const listed = (await server.admin('GET', '/applications')).body.items as { name: string; id: string }[];
      const app = listed.find((a) => a.name === 'Newcomer app');
      assert.ok(app, 'the admin API lists the new application');
      const client = await registerClient(server.url, await statement.inputValue());
      assert.match(client.client_id, /.+/);

      // A demo device joins; the dashboard and the domain's page show it.
      const laptop = await demoDevice('walkthrough-laptop');
      await laptop.join(familyUrl, undefined, { label: 'Laptop' });
      const tablet = await demoDevice('walkthrough-tablet');
      await tablet.join(familyUrl, undefined, { label: 'Tablet' });
      await server.domus.activity.flush();
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Dashboard' }).click();
      await page.getByTestId('stat-Joins').filter({ hasText: '2' }).waitFor({ timeout: 15_000 });
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Domains' }).click();
      await page.getByRole('link', { name: 'family' }).click();
      await page.getByRole('cell', { name: 'Tablet', exact: true }).waitFor();
      assert.equal(await page.getByTestId('key-version').textContent(), '1');
      await writeReadmeScreenshot(page);

      // Removed: gone from the admin API, and the next join brings key version 2.
      await page.getByRole('button', { name: 'Remove Tablet' }).click();
      await page.getByRole('button', { name: 'Confirm removal of Tablet' }).click();
      await page.getByTestId('member-count').filter({ hasText: '1 of unlimited' }).waitFor();
      const members = (await server.admin('GET', '/domains/anonymous/family/members')).body.items as {
        label: string;
      }[];
      assert.deepEqual(
        members.map((m) => m.label),
        ['Laptop'],
      );
      const rejoined = await laptop.join(familyUrl);
      assert.deepEqual(
        rejoined.credentials.map((c) => c.keyVersion),
        [1, 2],
      );
      await page.reload();
      await page.getByTestId('key-version').filter({ hasText: /^2$/ }).waitFor();
      await checkPage(opened, `walkthrough-${kind.name}`);

      // Signed out: the console and the admin API are closed to this browser.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${server.url}/console/sign-in`);
      const after = await page.request.get(`${server.url}/admin/v1/domains`);
      assert.equal(after.status(), 401);
      await page.goto(`${server.url}/console/domains`);
      await page.waitForURL(`${server.url}/console/sign-in`);
      await opened.close();
    });
  });
}

/** The README's picture: the domain page at a modest size (a small PNG). */
async function writeReadmeScreenshot(page: import('playwright-core').Page) {
  await page.setViewportSize({ width: 1100, height: 760 });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'readme-console.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
}
