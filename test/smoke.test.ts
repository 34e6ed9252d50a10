import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestDatabase } from './support/databases.js';
import { testDatabases } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl } from './support/machines.js';
import { startTestServer, type TestServer } from './support/server.js';

for (const kind of testDatabases()) {
  describe(`smoke on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    before(async () => {
      db = await kind.create();
      server = await startTestServer(db);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });
    it('joins an anonymous domain', async () => {
      const machine = await individualize(server.url);
      const answer = await post(protocolUrl(server.url, 'join', { anonymous: 'smoke' }), domainRequest(machine));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.credentials.length, 1);
    });
  });
}
