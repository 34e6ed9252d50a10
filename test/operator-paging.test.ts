/**
 * The operator lists page (GET /admin/v1/service-providers, /mvpds, /integrations, /applications):
 * `?cursor=&limit=` (1 to 500, default 50) and `nextCursor`, in primary-key order, every item
 * once; a cursor or limit this server did not make is refused with 400 and changes nothing. On
 * every database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

const mvpdBody = (displayName: string) => ({
  displayName,
  logoUrl: 'https://cable.example/logo.png',
  protocol: 'oidc',
  connection: { kind: 'builtin' },
  hasLogoutEndpoint: false,
  authnTtlS: 86_400,
  authzTtlS: 300,
  entitlementClaim: 'channels',
  authNamespace: 'cable.example',
});

for (const kind of testDatabases()) {
  describe(`operator list paging on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    const ids = Array.from({ length: 60 }, (_, i) => `p-${String(i).padStart(2, '0')}`);

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database);
      for (const id of ids) {
        await server.admin('PUT', `/service-providers/${id}`, { displayName: `SP ${id}` });
        await server.admin('PUT', `/mvpds/${id}`, mvpdBody(`MVPD ${id}`));
        await server.admin('PUT', `/applications/${id}`, {
          name: `App ${id}`,
          serviceProviders: [id],
          redirectDomains: ['app.example'],
        });
      }
      // Integrations of 3 service providers with 20 MVPDs each: 60, over several providers.
      for (const sp of ids.slice(0, 3)) {
        for (const mvpd of ids.slice(0, 20)) await server.admin('PUT', `/integrations/${sp}/${mvpd}`, { active: true });
      }
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    /** Every page of `path` at `limit`: the items' keys in order, and the page sizes. */
    async function pages(path: string, key: (item: never) => string, limit?: number) {
      const keys: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (;;) {
        const query = new URLSearchParams();
        if (limit !== undefined) query.set('limit', String(limit));
        if (cursor !== undefined) query.set('cursor', cursor);
        const separator = path.includes('?') ? '&' : '?';
        const answer = await server.admin('GET', `${path}${query.size ? separator + query : ''}`);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        keys.push(...answer.body.items.map(key));
        sizes.push(answer.body.items.length);
        if (answer.body.nextCursor === null) return { keys, sizes };
        assert.equal(typeof answer.body.nextCursor, 'string');
        cursor = answer.body.nextCursor;
      }
    }

    const byId = (item: { id: string }) => item.id;
    const byPair = (item: { serviceProviderId: string; mvpdId: string }) => `${item.serviceProviderId}/${item.mvpdId}`;
    const pairs = ids.slice(0, 3).flatMap((sp) => ids.slice(0, 20).map((mvpd) => `${sp}/${mvpd}`));

    for (const [path, key, expected] of [
      ['/service-providers', byId, ids],
      ['/mvpds', byId, ids],
      ['/applications', byId, ids],
      ['/integrations', byPair, pairs],
    ] as const) {
      it(`pages ${path} by its key, 50 by default, every item once`, async () => {
        const whole = await pages(path, key as (item: never) => string);
        assert.deepEqual(whole.keys, expected);
        assert.deepEqual(whole.sizes, [50, 10]);
        const small = await pages(path, key as (item: never) => string, 7);
        assert.deepEqual(small.keys, expected);
        assert.deepEqual(small.sizes, [7, 7, 7, 7, 7, 7, 7, 7, 4]);
        const all = await server.admin('GET', `${path}?limit=500`);
        assert.deepEqual(all.body.items.map(key), expected);
        assert.equal(all.body.nextCursor, null);
      });
    }

    it('pages one service provider’s integrations', async () => {
      const one = await pages('/integrations?serviceProvider=p-01', byPair, 6);
      assert.deepEqual(one.keys, pairs.slice(20, 40));
      assert.deepEqual(one.sizes, [6, 6, 6, 2]);
    });

    it('answers no secret in a page of MVPDs', async () => {
      await server.admin('PUT', '/mvpds/secretive', {
        ...mvpdBody('Secretive'),
        connection: { kind: 'oidc', issuer: 'https://idp.example', clientId: 'c', clientSecret: 'paged-secret' },
      });
      const page = await server.admin('GET', '/mvpds?limit=500');
      assert.ok(page.body.items.some((mvpd: { id: string }) => mvpd.id === 'secretive'));
      assert.equal(JSON.stringify(page.body).includes('paged-secret'), false);
      assert.equal((await server.admin('DELETE', '/mvpds/secretive')).status, 204);
    });

    it('refuses a cursor or limit it did not make, changing nothing', async () => {
      const before = await snapshot(server.domus.storage);
      const spCursor = Buffer.from('p-10').toString('base64url');
      for (const [path, message] of [
        ['/service-providers?limit=0', /limit/],
        ['/service-providers?limit=501', /limit/],
        ['/mvpds?limit=05', /limit/],
        ['/applications?limit=1e2', /limit/],
        ['/integrations?limit=-1', /limit/],
        ['/service-providers?cursor=not%20base64', /cursor is not valid/],
        [`/service-providers?cursor=${Buffer.from('a/b').toString('base64url')}`, /cursor is not valid/],
        [`/mvpds?cursor=${Buffer.from('bad id!').toString('base64url')}`, /cursor is not valid/],
        [`/integrations?cursor=${spCursor}`, /cursor is not valid/],
        [`/applications?cursor=${spCursor}=`, /cursor is not valid/],
        [`/service-providers?cursor=${'A'.repeat(201)}`, /cursor/],
      ] as const) {
        const answer = await server.admin('GET', path);
        assert.equal(answer.status, 400, path);
        assert.equal(answer.body.error.code, 'invalid_request', path);
        assert.match(answer.body.error.message, message, path);
      }
      const next = await server.admin('GET', `/service-providers?cursor=${spCursor}&limit=2`);
      assert.deepEqual(next.body.items.map(byId), ['p-11', 'p-12'], 'a cursor is the last id of a page');
      assert.deepEqual(await snapshot(server.domus.storage), before);
    });
  });
}
