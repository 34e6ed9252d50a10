/**
 * Issue 9: joins, leaves and re-joins racing through two `domus serve` processes on one
 * PostgreSQL database, against domains of a few members (test/reliability/race.ts). The database
 * must hold exactly what was acknowledged, counts equal to rows and never over the limit, with
 * no 5xx. CI size by default; DOMUS_RACE_JOINS, DOMUS_RACE_DOMAINS, DOMUS_RACE_LIMIT,
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

describe('issue 9: racing joins, leaves and re-joins through two processes on one PostgreSQL database', {
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
    // Only admissions and the limit's refusals: a member's re-join and leave always succeed.
    assert.deepEqual(
      Object.keys(figures.answers).filter((kind) => kind !== '200' && kind !== '403 DOM_LIMIT_REACHED'),
      [],
      summary,
    );
    // The race met the limits and freed slots again, else it proved little.
    assert.ok(figures.joins.refusedByLimit > 0, summary);
    assert.ok(figures.joins.admitted > figures.domains * figures.limit, summary);
    assert.ok(figures.joins.rejoined > 0 && figures.leaves.releasedSlot > 0, summary);
  });
});
