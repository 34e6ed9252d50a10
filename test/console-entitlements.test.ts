/**
 * The console's entitlement pages in headless Chromium, on every database: service providers,
 * MVPDs (list and form), integrations and applications render with the demo data (axe-core, no
 * browser error, a screenshot each), every action changes what the admin API then answers, a
 * refused field shows its message next to it and changes nothing, and a list of 121 service
 * providers pages through in the UI.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { browserSkipReason, launchBrowser } from './support/browser.js';
import { type ConsolePage, checkPage, signedIn, visit } from './support/console.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';
import { selfSignedRsa } from './support/simplesamlphp.js';

const skip = browserSkipReason();

/** The input, select or textarea labelled exactly `label`. */
const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
/** The API's message shown under the field named `name` (`connection.issuer`). */
const fieldError = (page: Page, name: string) => page.locator(`[id="field-${name}-error"]`);

for (const kind of testDatabases()) {
  describe(`console entitlement pages on ${kind.name}`, { skip }, () => {
    let db: TestDatabase;
    let server: TestServer;
    let browser: Browser;
    let opened: ConsolePage;
    let page: Page;
    const go = (path: string, title: string | RegExp) => visit(opened, server.url, path, title);

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_DEMO: 'true' });
      const { certificatePem } = await selfSignedRsa('Console Sat IdP');
      const saml = await server.admin('PUT', '/mvpds/ConsoleSat', {
        displayName: 'Console Satellite',
        logoUrl: 'https://sat.example/logo.png',
        protocol: 'saml',
        connection: {
          kind: 'saml',
          idpEntityId: 'https://idp.sat.example/saml/idp',
          ssoUrl: 'https://idp.sat.example/saml/sso',
          certificates: [certificatePem],
        },
        hasLogoutEndpoint: false,
        authnTtlS: 2_592_000,
        authzTtlS: 300,
        entitlementClaim: 'channels',
        authNamespace: 'sat.example',
      });
      assert.equal(saml.status, 201, JSON.stringify(saml.body));
      browser = await launchBrowser();
      opened = await signedIn(browser, server.url, server.adminToken);
      page = opened.page;
    });
    after(async () => {
      await opened?.close();
      await browser?.close();
      await server?.close();
      await db?.drop();
    });

    it('renders every page with the demo data, accessible and without a browser error', async () => {
      const pages: [path: string, title: string, screenshot: string, shows: string][] = [
        ['/service-providers', 'Service providers', 'service-providers', 'Demo Channel'],
        ['/mvpds', 'MVPDs', 'mvpds', 'Demo Satellite'],
        ['/mvpds/new', 'New MVPD', 'mvpd-new', 'Client secret'],
        ['/mvpds/DemoCable', 'MVPD DemoCable', 'mvpd-builtin', 'Domus serves this provider itself'],
        ['/mvpds/ConsoleSat', 'MVPD ConsoleSat', 'mvpd-saml', 'Signing certificates'],
        ['/integrations', 'Integrations', 'integrations', 'Deactivate'],
        ['/applications', 'Applications', 'applications', 'Demo application'],
        ['/applications/demo-app', 'Application Demo application', 'application', 'Current software statement'],
      ];
      for (const [path, title, screenshot, shows] of pages) {
        await go(path, title);
        await page.getByText(shows).first().waitFor();
        await checkPage(opened, `${screenshot}-${kind.name}`);
      }
      const statement = await field(page, 'Current software statement').inputValue();
      assert.equal(
        decodeJwt(statement).jti,
        (await server.domus.entitlements.store.application('demo-app'))?.statementId,
      );
    });

    it('creates, renames and deletes a service provider', async () => {
      await go('/service-providers', 'Service providers');
      await field(page, 'Id').fill('ConsoleSp');
      await field(page, 'Display name').fill('Console Channel');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('status').getByText('Service provider ConsoleSp created.').waitFor();
      assert.deepEqual((await server.admin('GET', '/service-providers/ConsoleSp')).body, {
        id: 'ConsoleSp',
        displayName: 'Console Channel',
      });

      await field(page, 'Id').fill('ConsoleSp');
      await field(page, 'Display name').fill('Again');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await fieldError(page, 'id').getByText('exists already').waitFor();
      assert.equal((await server.admin('GET', '/service-providers/ConsoleSp')).body.displayName, 'Console Channel');

      await page.getByRole('button', { name: 'Edit ConsoleSp' }).click();
      await field(page, 'Display name of ConsoleSp').fill('Console Channel HD');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('cell', { name: 'Console Channel HD' }).waitFor();
      assert.equal((await server.admin('GET', '/service-providers/ConsoleSp')).body.displayName, 'Console Channel HD');

      await page.getByRole('button', { name: 'Delete ConsoleSp' }).click();
      assert.equal((await server.admin('GET', '/service-providers/ConsoleSp')).status, 200, 'asks first');
      await page.getByRole('button', { name: 'Confirm deletion of ConsoleSp' }).click();
      await page.getByRole('cell', { name: 'ConsoleSp', exact: true }).waitFor({ state: 'detached' });
      assert.equal((await server.admin('GET', '/service-providers/ConsoleSp')).status, 404);
      await checkPage(opened, `service-providers-actions-${kind.name}`);
    });

    it('creates an OIDC MVPD and edits it, keeping its secret; a bad issuer is refused at its field', async () => {
      await go('/mvpds/new', 'New MVPD');
      await field(page, 'Id').fill('ConsoleCable');
      await field(page, 'Display name').fill('Console Cable');
      await field(page, 'Logo URL').fill('https://cable.example/logo.png');
      await field(page, 'Entitlement claim').fill('channels');
      await field(page, 'Auth namespace').fill('cable.example');
      await field(page, 'Has a logout endpoint').check();
      await field(page, 'Issuer').fill('https://idp.cable.example');
      await field(page, 'Client id').fill('domus');
      await field(page, 'Client secret').fill('console-secret-1');
      await field(page, 'Scopes').fill('openid profile tv');
      await page.getByRole('button', { name: 'Create MVPD' }).click();
      await page.getByRole('heading', { level: 1, name: 'MVPD ConsoleCable' }).waitFor();
      const created = (await server.admin('GET', '/mvpds/ConsoleCable')).body;
      assert.deepEqual(created, {
        id: 'ConsoleCable',
        displayName: 'Console Cable',
        logoUrl: 'https://cable.example/logo.png',
        protocol: 'oidc',
        connection: {
          kind: 'oidc',
          issuer: 'https://idp.cable.example',
          clientId: 'domus',
          scopes: ['openid', 'profile', 'tv'],
        },
        hasLogoutEndpoint: true,
        authnTtlS: 2_592_000,
        authzTtlS: 300,
        entitlementClaim: 'channels',
        authNamespace: 'cable.example',
      });
      const secret = async () => {
        const mvpd = await server.domus.entitlements.store.mvpd('ConsoleCable');
        return mvpd?.connection.kind === 'oidc' ? mvpd.connection.clientSecret : undefined;
      };
      assert.equal(await secret(), 'console-secret-1');
      assert.equal(await field(page, 'Client secret').inputValue(), '', 'the secret is never shown');

      await field(page, 'Display name').fill('Console Cable TV');
      await field(page, 'AuthZ TTL (seconds)').fill('600');
      await page.getByRole('button', { name: 'Save MVPD' }).click();
      await page.getByRole('status').getByText('Saved.').waitFor();
      const edited = (await server.admin('GET', '/mvpds/ConsoleCable')).body;
      assert.deepEqual(edited, { ...created, displayName: 'Console Cable TV', authzTtlS: 600 });
      assert.equal(await secret(), 'console-secret-1', 'an empty secret field keeps the stored secret');

      await field(page, 'Issuer').fill('idp.cable.example');
      await field(page, 'Display name').fill('Never saved');
      await page.getByRole('button', { name: 'Save MVPD' }).click();
      await fieldError(page, 'connection.issuer').getByText('issuer must match pattern').waitFor();
      assert.equal(await field(page, 'Issuer').getAttribute('aria-invalid'), 'true');
      assert.equal(await fieldError(page, 'displayName').count(), 0, 'only the field at fault');
      assert.deepEqual((await server.admin('GET', '/mvpds/ConsoleCable')).body, edited, 'nothing changed');
      await checkPage(opened, `mvpd-refused-${kind.name}`);

      await field(page, 'Issuer').fill('https://idp2.cable.example');
      await field(page, 'Client secret').fill('console-secret-2');
      await page.getByRole('button', { name: 'Save MVPD' }).click();
      await page.getByRole('status').getByText('Saved.').waitFor();
      assert.equal(
        (await server.admin('GET', '/mvpds/ConsoleCable')).body.connection.issuer,
        'https://idp2.cable.example',
      );
      assert.equal(await secret(), 'console-secret-2');
    });

    it('shows a SAML MVPD refusal at the field of the SAML connection, and deletes an MVPD in two steps', async () => {
      await go('/mvpds/ConsoleSat', 'MVPD ConsoleSat');
      const before = (await server.admin('GET', '/mvpds/ConsoleSat')).body;
      await field(page, 'SSO URL').fill('sso.sat.example');
      await page.getByRole('button', { name: 'Save MVPD' }).click();
      await fieldError(page, 'connection.ssoUrl').getByText('ssoUrl must match pattern').waitFor();
      await field(page, 'SSO URL').fill('https://idp.sat.example/saml/sso2');
      await field(page, 'Signing certificates').fill('-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----');
      await page.getByRole('button', { name: 'Save MVPD' }).click();
      await fieldError(page, 'connection.certificates').getByText('certificates/0').waitFor();
      assert.deepEqual((await server.admin('GET', '/mvpds/ConsoleSat')).body, before, 'nothing changed');

      await page.getByRole('button', { name: 'Delete MVPD ConsoleSat' }).click();
      await page.getByRole('button', { name: 'Confirm deletion of ConsoleSat' }).click();
      await page.getByRole('heading', { level: 1, name: 'MVPDs' }).waitFor();
      assert.equal((await server.admin('GET', '/mvpds/ConsoleSat')).status, 404);
    });

    it('switches an integration off and on, creates one from the selects, filters and deletes', async () => {
      await go('/integrations', 'Integrations');
      const state = page.getByTestId('state-DemoChannel-DemoSat');
      await page.getByRole('button', { name: 'Deactivate DemoChannel with DemoSat' }).click();
      await state.getByText('inactive').waitFor();
      assert.equal((await server.admin('GET', '/integrations/DemoChannel/DemoSat')).body.active, false);
      await page.getByRole('button', { name: 'Activate DemoChannel with DemoSat' }).click();
      await state.getByText('active', { exact: true }).waitFor();
      assert.equal((await server.admin('GET', '/integrations/DemoChannel/DemoSat')).body.active, true);

      await server.admin('PUT', '/service-providers/OtherChannel', { displayName: 'Other Channel' });
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
      await field(page, 'MVPD').selectOption('ConsoleCable');
      await field(page, 'Service provider').selectOption('OtherChannel');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('status').getByText('OtherChannel offers ConsoleCable.').waitFor();
      assert.deepEqual((await server.admin('GET', '/integrations/OtherChannel/ConsoleCable')).body, {
        serviceProviderId: 'OtherChannel',
        mvpdId: 'ConsoleCable',
        active: true,
      });
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await fieldError(page, 'mvpd').getByText('already').waitFor();

      await field(page, 'Filter by service provider').selectOption('OtherChannel');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.getByRole('heading', { level: 2, name: 'Integrations of OtherChannel' }).waitFor();
      await page.getByTestId('state-DemoChannel-DemoSat').waitFor({ state: 'detached' });
      assert.equal(await page.getByRole('row').count(), 2, 'a header and OtherChannel’s one integration');
      await checkPage(opened, `integrations-filtered-${kind.name}`);

      await page.getByRole('button', { name: 'Delete OtherChannel with ConsoleCable' }).click();
      await page.getByRole('button', { name: 'Confirm deletion of OtherChannel with ConsoleCable' }).click();
      await page.getByText('No integrations.').waitFor();
      assert.equal((await server.admin('GET', '/integrations/OtherChannel/ConsoleCable')).status, 404);
    });

    it('registers an application and shows its statement, rotates the statement and revokes the application', async () => {
      await go('/applications', 'Applications');
      await field(page, 'Name').fill('Console App');
      await field(page, 'Service providers').fill('DemoChannel');
      await field(page, 'Redirect domains').fill('console.example, bad_domain');
      await page.getByRole('button', { name: 'Register' }).click();
      await fieldError(page, 'redirectDomains').getByText('redirectDomains/1').waitFor();
      await field(page, 'Redirect domains').fill('console.example *.console.example');
      await field(page, 'Service providers').fill('DemoChannel NoSuchChannel');
      await page.getByRole('button', { name: 'Register' }).click();
      await fieldError(page, 'serviceProviders').getByText('no such service provider: NoSuchChannel').waitFor();
      const listed = (await server.admin('GET', '/applications')).body.items;
      assert.equal(listed.length, 1, 'nothing registered by the refusals');

      await field(page, 'Service providers').fill('DemoChannel');
      await page.getByRole('button', { name: 'Register' }).click();
      const shown = await field(page, 'Software statement').inputValue();
      const id = decodeJwt(shown).sub ?? '';
      const application = (await server.admin('GET', `/applications/${id}`)).body;
      assert.deepEqual(application, {
        id,
        name: 'Console App',
        serviceProviders: ['DemoChannel'],
        redirectDomains: ['console.example', '*.console.example'],
        scopes: ['api:client:v2'],
      });
      const statementId = async () => (await server.domus.entitlements.store.application(id))?.statementId;
      assert.equal(decodeJwt(shown).jti, await statementId());
      await checkPage(opened, `applications-registered-${kind.name}`);

      await page.getByRole('link', { name: 'Console App' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Application Console App' }).waitFor();
      await field(page, 'Scopes').fill('api:client:v2 extra:scope');
      await page.getByRole('button', { name: 'Save application' }).click();
      await page.getByRole('status').getByText('Saved.').waitFor();
      assert.deepEqual((await server.admin('GET', `/applications/${id}`)).body.scopes, [
        'api:client:v2',
        'extra:scope',
      ]);

      const first = await field(page, 'Current software statement').inputValue();
      await page.getByRole('button', { name: `Issue a new statement ${id}` }).click();
      await page.getByText('The current statement stops working').waitFor();
      await page.getByRole('button', { name: `Confirm new statement of ${id}` }).click();
      await page.waitForFunction(
        (old) => (document.getElementById('field-statement') as HTMLTextAreaElement | null)?.value !== old,
        first,
      );
      const rotated = await field(page, 'Current software statement').inputValue();
      assert.notEqual(decodeJwt(rotated).jti, decodeJwt(first).jti);
      assert.equal(decodeJwt(rotated).jti, await statementId());
      await checkPage(opened, `application-rotated-${kind.name}`);

      await page.getByRole('button', { name: `Delete application ${id}` }).click();
      await page.getByRole('button', { name: `Confirm deletion of ${id}` }).click();
      await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
      assert.equal((await server.admin('GET', `/applications/${id}`)).status, 404);
    });

    it('pages through more than 120 service providers', async () => {
      for (let i = 0; i < 120; i++) {
        const id = `page-sp-${String(i).padStart(3, '0')}`;
        assert.equal(
          (await server.admin('PUT', `/service-providers/${id}`, { displayName: `Paged ${i}` })).status,
          201,
        );
      }
      const everything: string[] = [];
      for (let cursor = ''; ; ) {
        const answer = (await server.admin('GET', `/service-providers?limit=500${cursor}`)).body;
        everything.push(...answer.items.map((sp: { id: string }) => sp.id));
        if (answer.nextCursor === null) break;
        cursor = `&cursor=${answer.nextCursor}`;
      }
      assert.ok(everything.length > 120);
      const pages = Math.ceil(everything.length / 50);

      await go('/service-providers', 'Service providers');
      const ID_CELLS = 'tbody tr td:first-child code';
      const firstId = (expected: string) =>
        page.waitForFunction(
          ([cells, id]) => document.querySelector(cells as string)?.textContent === id,
          [ID_CELLS, expected],
        );
      const seen: string[] = [];
      for (let pageNumber = 1; pageNumber <= pages; pageNumber++) {
        await page.getByText(`Page ${pageNumber}`, { exact: true }).waitFor();
        await firstId(everything[(pageNumber - 1) * 50] as string);
        const rows = await page.locator(ID_CELLS).allTextContents();
        assert.equal(rows.length, Math.min(50, everything.length - (pageNumber - 1) * 50), `page ${pageNumber}`);
        seen.push(...rows);
        const next = page.getByRole('button', { name: 'Next page' });
        if (pageNumber < pages) await next.click();
        else assert.equal(await next.isDisabled(), true, 'no page after the last');
      }
      assert.deepEqual(seen, everything, 'every service provider once, in the API’s order');
      await checkPage(opened, `service-providers-last-page-${kind.name}`);
      await page.getByRole('button', { name: 'Previous page' }).click();
      await page.getByText(`Page ${pages - 1}`, { exact: true }).waitFor();
      await firstId(everything[(pages - 2) * 50] as string);
    });
  });
}
