/**
 * Random bytes for the hot paths (an IV per sealed value, a state per user-agent flow), drawn
 * from a pool that the CSPRNG refills 4 KiB at a time. Each call to `crypto.randomBytes` costs
 * a trip into OpenSSL; Node pools `randomUUID` the same way. Every answer is a copy: a pool is
 * never handed out or written again, so no caller sees bytes that another was given.
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
