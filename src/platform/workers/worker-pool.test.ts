import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EchoRequest } from '../../../test/support/echo-worker.js';
import { WorkerPool } from './worker-pool.js';

const ECHO = new URL('../../../test/support/echo-worker.ts', import.meta.url);

describe('worker pool', () => {
  it('answers many requests across its workers, in any order of completion', async () => {
    const pool = new WorkerPool<EchoRequest>(ECHO, 2);
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.run<string>({ echo: `m${i}` })));
      assert.deepEqual(
        answers,
        Array.from({ length: 50 }, (_, i) => `m${i}`),
      );
    } finally {
      await pool.close();
    }
  });

  it('sends the requests of one event-loop turn to a worker as one message', async () => {
    const pool = new WorkerPool<EchoRequest>(ECHO, 1);
    try {
      const turn = () => [
        ...Array.from({ length: 20 }, (_, i) => pool.run<string>({ echo: `m${i}` })),
        pool.run<number>({ messages: true }),
      ];
      const first = await Promise.all(turn());
      assert.equal(first.at(-1), 1);
      assert.equal(first[7], 'm7');
      const second = await Promise.all(turn());
      assert.equal(second.at(-1), 2);
    } finally {
      await pool.close();
    }
  });

  it('fails only the request whose handler threw, with its message', async () => {
    const pool = new WorkerPool<EchoRequest>(ECHO, 1);
    try {
      const [bad, good] = await Promise.allSettled([pool.run({ fail: 'no such key' }), pool.run({ echo: 'ok' })]);
      assert.equal(bad.status === 'rejected' && (bad.reason as Error).message, 'no such key');
      assert.deepEqual(good, { status: 'fulfilled', value: 'ok' });
    } finally {
      await pool.close();
    }
  });

  it('fails only a request that cannot be sent to a worker, not the others of its turn', async () => {
    const pool = new WorkerPool<EchoRequest | { echo: () => void }>(ECHO, 1);
    try {
      const [good, bad, after] = await Promise.allSettled([
        pool.run({ echo: 'before' }),
        pool.run({ echo: () => {} }),
        pool.run({ echo: 'after' }),
      ]);
      assert.deepEqual(good, { status: 'fulfilled', value: 'before' });
      assert.equal(bad.status === 'rejected' && (bad.reason as Error).name, 'DataCloneError');
      assert.deepEqual(after, { status: 'fulfilled', value: 'after' });
    } finally {
      await pool.close();
    }
  });

  it('fails the requests of a worker that died and replaces the worker', async () => {
    const pool = new WorkerPool<EchoRequest>(ECHO, 1);
    try {
      await assert.rejects(pool.run({ exit: 3 }), /exited with code 3/);
      assert.equal(await pool.run({ echo: 'again' }), 'again');
    } finally {
      await pool.close();
    }
  });

  it('refuses work once closed, and needs at least one worker', async () => {
    const pool = new WorkerPool<EchoRequest>(ECHO, 1);
    await pool.close();
    await assert.rejects(pool.run({ echo: 'late' }), /closed/);
    assert.throws(() => new WorkerPool(ECHO, 0), RangeError);
  });
});
