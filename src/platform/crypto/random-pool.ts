/**
 * Random bytes for the hot paths (an IV per sealed value, a state per user-agent flow), drawn
 * from a pool that the CSPRNG refills 4 KiB at a time. Each call to `crypto.randomBytes` costs
 * a trip into OpenSSL; Node pools `randomUUID` the same way. A pool is never written again once
 * drawn from, and every answer is a copy, so an answer kept for long holds no pool in memory.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
/** Larger requests go to the CSPRNG directly. */
const MAX_POOLED = 64;

let pool = Buffer.alloc(0);
let offset = 0;

export function pooledRandomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError('size must be a non-negative integer');
  if (size > MAX_POOLED) return randomBytes(size);
  if (offset + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return bytes;
}
