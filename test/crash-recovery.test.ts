/**
 * kill -9 under load, on each database (issue 9; docs/reliability.md): every operation the
 * killed process acknowledged is in the database when it starts again, and member counts equal
 * member rows. CI size; `npm run reliability` runs more cycles (test/reliability/kill-cycles.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runKillCycles } from './reliability/kill-cycles.js';
import { testDatabases } from './support/databases.js';

for (const kind of testDatabases()) {
  describe(`kill -9 under load on ${kind.name}`, { timeout: 120_000 }, () => {
    it('loses no acknowledged join or leave, and keeps member counts equal to member rows', async () => {
      const database = await kind.create();
      try {
        const figures = await runKillCycles({ database, cycles: 2, joinsBeforeKill: 15 });
        const seen = JSON.stringify(figures);
        assert.deepEqual(figures.lost, [], seen);
        assert.deepEqual(figures.miscounted, [], seen);
        assert.deepEqual(figures.refusals, {}, `no refusal while the process was alive: ${seen}`);
        assert.ok(figures.acknowledgedJoins >= 30, seen);
        assert.ok(figures.acknowledgedLeaves > 0, seen);
      } finally {
        await database.drop();
      }
    });
  });
}
