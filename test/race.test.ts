/**
 * Issues 9 and 11: joins, leaves and re-joins racing through two `domus serve` processes on one
 * PostgreSQL database, against domains of a few members (test/reliability/race.ts), and against
 * evictions (a clock ages members of domains with evictAfter) and members removing each other
 * (two domains with a removal limit); removed and evicted devices call again, are told
 * DOM_NOT_MEMBER and join anew. The database must hold exactly what was acknowledged, counts
 * equal to rows and never over a limit, with no 5xx. CI size by default; DOMUS_RACE_JOINS, DOMUS_RACE_DOMAINS, DOMUS_RACE_LIMIT,
 * DOMUS_RACE_MACHINES, DOMUS_RACE_CONCURRENCY and DOMUS_RACE_SEED size it otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runRace } from './reliability/race.js';
import { createPostgres, POSTGRES_URL, type TestDatabase } from './support/databases.js';
import { stopAllChildren } from './support/processes.js';

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

describe('issues 9 and 11: racing joins, leaves, re-joins, removals and evictions through two processes on one PostgreSQL database', {
  skip: POSTGRES_URL ? false : 'needs PostgreSQL: set DOMUS_TEST_DATABASE_URL',
  timeout: 900_000,
}, () => {
  let database: TestDatabase | undefined;

  before(async () => {
    database = await createPostgres(POSTGRES_URL as string);
  });
  after(async () => {
    await stopAllChildren();
    await database?.drop();
  });

  it('keeps every count equal to its rows, within the limit, and every acknowledged answer', async (t) => {
    const figures = await runRace({
      database: database as TestDatabase,
      joins: setting('DOMUS_RACE_JOINS', 1200),
      domains: setting('DOMUS_RACE_DOMAINS', 12),
      limit: setting('DOMUS_RACE_LIMIT', 3),
      machines: setting('DOMUS_RACE_MACHINES', 96),
      concurrency: setting('DOMUS_RACE_CONCURRENCY', 24),
      ...(process.env.DOMUS_RACE_SEED && { seed: setting('DOMUS_RACE_SEED', 1) }),
    });
    const summary = JSON.stringify(figures);
    t.diagnostic(summary);
    assert.deepEqual(figures.problems, [], summary);
    assert.equal(figures.serverErrors, 0, summary);
    assert.equal(figures.transportErrors, 0, summary);
    // Only admissions, the limits' refusals, removed or evicted devices told so, and removals of
    // a member someone else took out first (the audit checks each against the events).
    const expected = [
      '200',
      '403 DOM_LIMIT_REACHED',
      '403 DOM_NOT_MEMBER',
      '403 DEREG_DENIED',
      '429 DOM_REMOVAL_LIMITED',
    ];
    assert.deepEqual(
      Object.keys(figures.answers).filter((kind) => !expected.includes(kind)),
      [],
      summary,
    );
    // The race met the limits, freed slots again, evicted, removed, and told former members so,
    // who joined again; else it proved little.
    assert.ok(figures.joins.refusedByLimit > 0, summary);
    assert.ok(figures.joins.admitted > figures.domains * figures.limit, summary);
    assert.ok(figures.joins.rejoined > 0 && figures.leaves.releasedSlot > 0, summary);
    assert.ok(figures.evictions.machines > 0 && figures.removals.committed > 0, summary);
    assert.ok(figures.removals.limited > 0, summary);
    assert.ok(figures.notMember.answers > 0 && figures.notMember.joinedAgain > 0, summary);
    assert.ok(figures.checksDuring > 0, summary);
  });
});
