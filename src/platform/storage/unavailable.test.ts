/** Which database errors are answered 503 (unavailable.ts); the rest stay 500 or the caller's own. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStorageUnavailable, StorageUnavailableError } from './unavailable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStorageUnavailable', () => {
  it('recognises lost, refused and exhausted connections of either database', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53300', 'ECONNREFUSED', 'ECONNRESET']) {
      assert.equal(isStorageUnavailable(withCode(code)), true, code);
    }
    for (const code of ['SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN']) {
      assert.equal(isStorageUnavailable(withCode(code)), true, code);
    }
    assert.equal(isStorageUnavailable(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isStorageUnavailable(new Error('timeout exceeded when trying to connect')), true);
    assert.equal(isStorageUnavailable(new StorageUnavailableError('readiness')), true);
  });

  it('finds the cause of a wrapped error', () => {
    assert.equal(isStorageUnavailable(new Error('join failed', { cause: withCode('57P01') })), true);
  });

  it('leaves bugs and refused data alone: constraint violations, syntax errors, bad input', () => {
    for (const code of ['23505', '23503', '42601', '22021', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR']) {
      assert.equal(isStorageUnavailable(withCode(code)), false, code);
    }
    assert.equal(isStorageUnavailable(new Error('Connection refused by policy')), false);
    assert.equal(isStorageUnavailable(new TypeError('undefined is not a function')), false);
    assert.equal(isStorageUnavailable('57P01'), false);
  });
});
