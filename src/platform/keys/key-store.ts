/**
 * Long-lived server keys, stored in the database (so every process of a deployment shares them)
 * with the private half sealed under the master key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Sealer } from '../crypto/sealing.js';
import type { Storage } from '../storage/database.js';

export interface StoredKey<P> {
  publicData: P;
  privateKey: KeyObject;
}

const CHECK_NAME = 'master-key-check';
const CHECK_TEXT = 'domus master key check';

export class KeyStore {
  constructor(
    private readonly storage: Storage,
    private readonly sealer: Sealer,
  ) {}

  /**
   * Refuses a master key other than the one that sealed this database's keys, so a
   * misconfigured process fails at start and not at its first request.
   */
  async verifyMasterKey(): Promise<void> {
    const existing = await this.#read(CHECK_NAME);
    if (existing) {
      this.sealer.open(existing.sealed_private, CHECK_NAME);
      return;
    }
    await this.#insert(CHECK_NAME, '{}', this.sealer.seal(Buffer.from(CHECK_TEXT), CHECK_NAME));
    const winner = await this.#read(CHECK_NAME);
    if (winner) this.sealer.open(winner.sealed_private, CHECK_NAME);
  }

  /**
   * Loads the key called `name`, creating it with `create` when absent. Concurrent first starts
   * of several processes agree on one key: the first insert wins and everyone reads it back.
   */
  async loadOrCreate<P>(
    name: string,
    create: () => Promise<{ publicData: P; privatePkcs8: Buffer }>,
  ): Promise<StoredKey<P>> {
    let row = await this.#read(name);
    if (!row) {
      const made = await create();
      await this.#insert(name, JSON.stringify(made.publicData), this.sealer.seal(made.privatePkcs8, name));
      row = await this.#read(name);
      if (!row) throw new Error(`server key ${name} vanished after insert`);
    }
    return {
      publicData: JSON.parse(row.public_data) as P,
      privateKey: createPrivateKey({ key: this.sealer.open(row.sealed_private, name), format: 'der', type: 'pkcs8' }),
    };
  }

  /** Replaces the key called `name` (used when configuration supplies a key from files). */
  async put<P>(name: string, publicData: P, privatePkcs8: Buffer): Promise<void> {
    const values = {
      public_data: JSON.stringify(publicData),
      sealed_private: this.sealer.seal(privatePkcs8, name),
    };
    await this.storage.db
      .insertInto('server_keys')
      .values({ name, ...values, created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doUpdateSet(values))
      .execute();
  }

  #read(name: string) {
    return this.storage.db.selectFrom('server_keys').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async #insert(name: string, publicData: string, sealed: string): Promise<void> {
    await this.storage.db
      .insertInto('server_keys')
      .values({ name, public_data: publicData, sealed_private: sealed, created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
}
