/**
 * Issue 12, item 1: the front page at `/` — what the server is, its version, its public
 * documents (every link answers), the demo's how-to only when the demo data is on — plain HTML
 * whose CSP allows its own stylesheet by hash and nothing else, checked over HTTP and in
 * headless Chromium (the style applies, nothing is refused, no script runs).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkipReason, launchBrowser } from './support/browser.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const VERSION: string = createRequire(import.meta.url)('../package.json').version;
const skip = browserSkipReason();

for (const kind of testDatabases()) {
  describe(`issue 12: the front page on ${kind.name}`, () => {
    let db: TestDatabase;
    let demoDb: TestDatabase;
    let plain: TestServer;
    let demo: TestServer;

    before(async () => {
      // Each server has its own master key, so each its own database.
      [db, demoDb] = await Promise.all([kind.create(), kind.create()]);
      plain = await startTestServer(db, { DOMUS_DEMO: 'false' });
      demo = await startTestServer(demoDb, { DOMUS_DEMO: 'true' });
    });
    after(async () => {
      await plain?.close();
      await demo?.close();
      await db?.drop();
      await demoDb?.drop();
    });

    it('says what the server is and its version, with security headers and no inline anything', async () => {
      const response = await fetch(`${plain.url}/`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/]{43}='/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|script-src/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const html = await response.text();
      assert.match(html, new RegExp(`Version ${VERSION.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /Try the demo/, 'no demo how-to without the demo data');
    });

    it('links only to what this server answers', async () => {
      const html = await (await fetch(`${plain.url}/`)).text();
      const links = [...html.matchAll(/href="([^"]+)"/g)].map((match) => match[1] as string);
      assert.ok(links.length >= 3, links.join(' '));
      for (const link of links) {
        const response = await fetch(new URL(link, plain.url));
        assert.equal(response.status, 200, link);
      }
    });

    it('shows how to try the demo, with this server’s URL, when the demo data is on', async () => {
      const html = await (await fetch(`${demo.url}/`)).text();
      assert.match(html, /Try the demo/);
      assert.ok(html.includes(`--server ${demo.url}`), 'the commands name this server');
      assert.ok(html.includes(`${demo.url}/flashaccess/domainserver/family`));
    });

    describe('in Chromium', { skip }, () => {
      let browser: Browser | undefined;
      before(async () => {
        browser = await launchBrowser();
      });
      after(async () => {
        await browser?.close();
      });

      it('renders with its stylesheet and nothing refused', async () => {
        const page = await (browser as Browser).newPage();
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));
        const response = await page.goto(`${demo.url}/`);
        assert.equal(response?.status(), 200);
        assert.equal(await page.title(), `Domus ${VERSION}`);
        assert.equal(await page.locator('h1').textContent(), 'Domus');
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(background, 'rgb(244, 245, 247)', 'the stylesheet applied under the CSP');
        assert.deepEqual(problems, []);
        await page.getByRole('link', { name: 'OpenAPI document' }).click();
        await page.waitForURL(`${demo.url}/openapi.json`);
        await page.close();
      });
    });
  });
}
