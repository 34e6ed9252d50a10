/**
 * The fuzz pass over every endpoint (issue 9), on every database: malformed envelopes, bodies,
 * headers, content types and paths (support/fuzz.ts), none of which may answer 5xx, be accepted,
 * change stored state, or answer outside its wire format's error shape.
 *
 *   DOMUS_FUZZ_SEED=<n>    replay a run (the seed is printed)
 *   DOMUS_FUZZ_CASES=<n>   cases per database (default sized for CI)
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { testDatabases } from './support/databases.js';
import { runFuzz } from './support/fuzz.js';

const SEED = process.env.DOMUS_FUZZ_SEED ? Number(process.env.DOMUS_FUZZ_SEED) : randomInt(2 ** 31);
const CASES = Number(process.env.DOMUS_FUZZ_CASES ?? 2500);

for (const kind of testDatabases()) {
  describe(`issue 9: fuzz on ${kind.name}`, () => {
    it(`answers ${CASES} malformed requests in each endpoint's error shape, never 5xx, changing nothing`, async (t) => {
      t.diagnostic(`DOMUS_FUZZ_SEED=${SEED} DOMUS_FUZZ_CASES=${CASES}`);
      const database = await kind.create();
      try {
        const result = await runFuzz({ database, cases: CASES, seed: SEED });
        t.diagnostic(`${result.cases} cases in ${result.seconds} s; statuses ${JSON.stringify(result.statuses)}`);
        assert.deepEqual(
          result.failures,
          [],
          `replay with DOMUS_FUZZ_SEED=${SEED}:\n${result.failures.map((f) => JSON.stringify(f)).join('\n')}`,
        );
        assert.equal(result.cases, CASES);
        assert.ok(Object.keys(result.templates).length >= 50, 'every endpoint is fuzzed');
      } finally {
        await database.drop();
      }
    });
  });
}
