import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pooledRandomBytes } from './random-pool.js';

describe('pooled random bytes', () => {
  it('answers the size asked for, never the same bytes twice, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const bytes = pooledRandomBytes(12 + (i % 21));
      assert.equal(bytes.length, 12 + (i % 21));
      const hex = bytes.toString('hex');
      assert.ok(!seen.has(hex), 'a value came out twice');
      seen.add(hex);
    }
  });

  it('hands out copies: clearing one answer changes neither another nor what comes next', () => {
    const a = pooledRandomBytes(16);
    const b = pooledRandomBytes(16);
    const before = Buffer.from(b);
    a.fill(0);
    b.fill(0);
    assert.notDeepEqual(before, Buffer.alloc(16));
    assert.notDeepEqual(pooledRandomBytes(16), Buffer.alloc(16));
    // An answer stays as it was while later calls use up and refill the pool.
    const kept = pooledRandomBytes(16);
    const copy = Buffer.from(kept);
    for (let i = 0; i < 1000; i++) pooledRandomBytes(16);
    assert.deepEqual(kept, copy);
  });

  it('takes large sizes straight from the CSPRNG, and refuses nonsense sizes', () => {
    assert.equal(pooledRandomBytes(1000).length, 1000);
    assert.equal(pooledRandomBytes(0).length, 0);
    assert.throws(() => pooledRandomBytes(-1), RangeError);
    assert.throws(() => pooledRandomBytes(1.5), RangeError);
  });

  it('is uniform enough that every byte value turns up', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 400; i++) for (const byte of pooledRandomBytes(32)) counts[byte] = (counts[byte] ?? 0) + 1;
    assert.ok(counts.every((count) => count > 0));
  });
});
