/**
 * The console's operator password (docs/console.md, "Signing in"): an alternative to typing the
 * admin token, set by whoever holds that token (`PUT /admin/v1/console/password`, or `domus admin
 * console set-password`). Only its scrypt hash is stored, in the database so every process knows
 * it; setting or clearing it ends the sessions it signed in.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import type { Storage } from '../platform/storage/database.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/** scrypt at N = 2^15, r = 8: about 50 ms and 32 MiB a check, which makes guessing dear. */
const COST = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const NAME = 'operator';

export class OperatorPassword {
  constructor(private readonly storage: Pick<Storage, 'db'>) {}

  async set(password: string, now = Date.now()): Promise<void> {
    const salt = randomBytes(16);
    const hash = await derive(password, salt, COST);
    const encoded = ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join(
      '$',
    );
    await this.storage.db
      .insertInto('console_passwords')
      .values({ name: NAME, hash: encoded, updated_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ hash: encoded, updated_at: now }))
      .execute();
  }

  /** Removes the password; answers whether there was one. */
  async clear(): Promise<boolean> {
    const result = await this.storage.db.deleteFrom('console_passwords').where('name', '=', NAME).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async isSet(): Promise<boolean> {
    return (await this.#stored()) !== undefined;
  }

  /** Whether `given` is the password (false when none is set). */
  async matches(given: string): Promise<boolean> {
    const stored = await this.#stored();
    if (stored === undefined || given.length === 0 || given.length > PASSWORD_MAX_LENGTH) return false;
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const actual = await derive(given, Buffer.from(salt, 'base64url'), {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: COST.maxmem,
    });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  async #stored(): Promise<string | undefined> {
    const row = await this.storage.db
      .selectFrom('console_passwords')
      .select('hash')
      .where('name', '=', NAME)
      .executeTakeFirst();
    return row?.hash;
  }
}

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
