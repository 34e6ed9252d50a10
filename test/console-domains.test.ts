/**
 * Issue 12, item 3, the domain side of the console in headless Chromium, on both databases, with
 * real devices joining through the device client: the dashboard counts them, the domains page
 * finds a domain by name and by member GUID and pages through many, a domain's page shows its
 * members with first and last seen, removes one (two steps), forces a key rollover, edits the
 * policy (a bad value shown next to its field, changing nothing), and the household page shows a
 * demo viewer's profile beside the device that joined the household's domain. Every page passes
 * axe-core with nothing refused by the CSP, and leaves a screenshot in artifacts/console/.
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
import { type ConsolePage, checkPage, signedIn, visit } from './support/console.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken, call } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device, signInThroughDomus } from './support/stored-profiles.js';
import { UserAgent } from './support/user-agent.js';

const skip = browserSkipReason();

for (const kind of testDatabases()) {
  describe(`issue 12: the console's domain pages on ${kind.name}`, { skip }, () => {
    let db: TestDatabase;
    let server: TestServer;
    let browser: Browser;
    let opened: ConsolePage;
    const dirs: string[] = [];

    async function newDevice(seed: string) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-console-device-'));
      dirs.push(dir);
      const client = new DeviceClient(dir, { components: simulatedComponents(seed) });
      await client.individualize(server.url);
      return client;
    }
    const familyUrl = () => `${server.url}/flashaccess/domainserver/family`;
    const shot = (name: string) => checkPage(opened, `${name}-${kind.name}`);

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_DEMO: 'true', DOMUS_THROTTLE: 'off' });
      browser = await launchBrowser();
      opened = await signedIn(browser, server.url, server.adminToken);
    });
    after(async () => {
      await opened?.close();
      await browser?.close();
      await server?.close();
      await db?.drop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('the dashboard counts the joins it sees, refreshing by itself', async () => {
      await visit(opened, server.url, '/', 'Dashboard');
      const joins = opened.page.getByTestId('stat-Joins');
      assert.equal(await joins.textContent(), '0');
      const laptop = await newDevice('console-laptop');
      await laptop.join(familyUrl(), undefined, { label: 'Laptop' });
      await server.domus.activity.flush();
      // No reload: the page refreshes every few seconds.
      await joins.filter({ hasText: '1' }).waitFor({ timeout: 15_000 });
      assert.equal(await opened.page.getByTestId('stat-Anonymous domains').textContent(), '1');
      assert.equal(await opened.page.getByTestId('stat-Members').textContent(), '1');
      await shot('dashboard');
    });

    it("shows a domain's members, removes one in two steps, and forces a key rollover", async () => {
      const tablet = await newDevice('console-tablet');
      await tablet.join(familyUrl(), undefined, { label: 'Tablet' });
      const tabletGuid = tablet.status().guid as string;
      await visit(opened, server.url, '/domains', 'Domains');
      await opened.page.getByRole('link', { name: 'family' }).click();
      await opened.page.getByRole('heading', { level: 1, name: 'Domain family' }).waitFor();
      const page = opened.page;
      await page.getByRole('cell', { name: 'Tablet', exact: true }).waitFor();
      assert.equal(await page.getByTestId('member-count').textContent(), '2 of unlimited');
      assert.equal(await page.getByTestId('key-version').textContent(), '1');
      await shot('domain');

      await page.getByRole('button', { name: 'Remove Tablet' }).click();
      await page.getByRole('button', { name: 'Confirm removal of Tablet' }).click();
      await page.getByTestId('member-count').filter({ hasText: '1 of unlimited' }).waitFor();
      const members = await server.admin('GET', '/domains/anonymous/family/members');
      assert.deepEqual(
        (members.body.items as { guid: string }[]).map((m) => m.guid).includes(tabletGuid),
        false,
        'the admin API no longer lists the removed member',
      );
      // The removal rolled the key over: the next join makes version 2.
      const domain = await server.admin('GET', '/domains/anonymous/family');
      assert.equal(domain.body.keyRolloverRequired, true);
      await page.getByText('(the next join makes a new one)').waitFor();
      const phone = await newDevice('console-phone');
      await phone.join(familyUrl(), undefined, { label: 'Phone' });
      await page.reload();
      await page.getByTestId('key-version').filter({ hasText: /^2$/ }).waitFor();

      await page.getByRole('button', { name: 'Force key rollover' }).click();
      await page.getByRole('status').filter({ hasText: 'Key rollover set' }).waitFor();
      assert.equal((await server.admin('GET', '/domains/anonymous/family')).body.keyRolloverRequired, true);
      await page.getByRole('cell', { name: 'removed', exact: true }).waitFor();
    });

    it('edits the policy, showing a refused value next to its field and changing nothing', async () => {
      await visit(opened, server.url, '/domains/anonymous/family', 'Domain family');
      const page = opened.page;
      const before = (await server.admin('GET', '/domains/anonymous/family')).body;
      await page.getByLabel('Member limit').fill('many');
      await page.getByRole('button', { name: 'Save policy' }).click();
      const error = page.locator('#field-maxMembership-error');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /maxMembership must be integer/);
      assert.equal(await page.getByLabel('Member limit').getAttribute('aria-invalid'), 'true');
      assert.deepEqual((await server.admin('GET', '/domains/anonymous/family')).body.policy, before.policy);
      await shot('domain-policy-error');

      await page.getByLabel('Member limit').fill('5');
      await page.getByLabel('Evict members unseen for (seconds)').fill('7200');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      const policy = (await server.admin('GET', '/domains/anonymous/family')).body.policy;
      assert.equal(policy.maxMembership, 5);
      assert.equal(policy.evictAfterSeconds, 7200);
    });

    it('finds domains by member GUID and pages through many', async () => {
      const puts = [];
      for (let i = 0; i < 55; i++) {
        puts.push(server.admin('PUT', `/domains/anonymous/bulk-${String(i).padStart(2, '0')}`, { maxMembership: 2 }));
      }
      for (const answer of await Promise.all(puts)) assert.equal(answer.status, 201);
      const page = opened.page;
      await visit(opened, server.url, '/domains', 'Domains');
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByText('Page 2').waitFor();
      // The pages are the admin API's pages (in creation order, which parallel creates leave open).
      const first = await server.admin('GET', '/domains');
      const second = await server.admin('GET', `/domains?cursor=${encodeURIComponent(first.body.nextCursor)}`);
      const firstName = first.body.items[0].name as string;
      const secondName = second.body.items[0].name as string;
      await page.getByRole('link', { name: secondName, exact: true }).waitFor();
      assert.equal(await page.getByRole('link', { name: firstName, exact: true }).count(), 0);
      await page.getByRole('button', { name: 'Previous page' }).click();
      await page.getByRole('link', { name: firstName, exact: true }).waitFor();
      assert.equal(await page.getByRole('link', { name: secondName, exact: true }).count(), 0);
      await shot('domains');

      const members = (await server.admin('GET', '/domains/anonymous/family/members')).body.items as { guid: string }[];
      const guid = members[0]?.guid as string;
      await page.getByLabel('Member GUID').fill(guid);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('heading', { name: `Domains of member ${guid}` }).waitFor();
      await page.getByRole('link', { name: 'family' }).waitFor();
      assert.equal(await page.getByRole('link', { name: /^bulk-/ }).count(), 0);
    });

    it('shows a household: the demo viewer’s profile beside the device that joined its domain', async () => {
      const { token } = await accessToken(server.url, server.admin);
      const phone = device('console-household-phone');
      await signInThroughDomus(server, new UserAgent(), {
        token,
        headers: phone.headers,
        mvpd: 'DemoCable',
        user: 'carol',
      });
      const issued = await call(server.url, 'POST', '/api/v2/DemoChannel/tokens/domain/DemoCable', {
        token,
        headers: phone.headers,
      });
      assert.equal(issued.status, 200);
      const machine = await newDevice('console-household-machine');
      await machine.join(server.url, issued.body.token, { label: 'Carol’s phone' });
      const household = (await server.admin('GET', '/domains?mode=identity')).body.items[0].name as string;
      const householdId = household.split(':')[1] as string;

      await visit(opened, server.url, '/household', 'Households');
      const page = opened.page;
      await page.getByLabel('Household id').fill(householdId);
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByRole('heading', { level: 1, name: `Household ${householdId}` }).waitFor();
      await page.getByRole('cell', { name: 'DemoChannel' }).waitFor();
      await page.getByRole('cell', { name: /Carol’s phone/ }).waitFor();
      await page.getByRole('link', { name: household }).waitFor();
      await page.getByText(phone.deviceId).waitFor();
      await shot('household');
    });
  });
}
