/**
 * oidc-provider's storage adapter over Kysely (table `oidc_payloads`, SQLite or PostgreSQL), so
 * the demo providers' sessions, interactions, grants, codes and tokens are shared by every
 * Domus process on the database and survive restarts.
 *
 * One row per (namespace, model, id): the namespace keeps the providers of different MVPDs
 * apart. Secondary lookups: `uid` (sessions), `user_code` (device flow), `grant_id` (revoking
 * everything issued under a grant). Expired rows are never answered and are purged at most once
 * a minute per process, on a write.
 *
 * The values oidc-provider looks rows up by come from requests (a code, a token, a grant id); one
 * holding text no database stores (a NUL: PostgreSQL refuses it in a query) finds nothing, as
 * nothing can have been stored under it.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Storage } from '../../../platform/storage/database.js';
import { storableText } from '../../../platform/text.js';

const PURGE_INTERVAL_MS = 60_000;

export class OidcPayloadStore {
  #lastPurge = 0;

  constructor(
    readonly storage: Storage,
    readonly now: () => number = Date.now,
  ) {}

  /** oidc-provider's `adapter` option for the provider of `namespace`. */
  adapterFactory(namespace: string): (model: string) => Adapter {
    return (model) => new KyselyAdapter(this, namespace, model);
  }

  /** Deletes every expired row; answers how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.storage.db
      .deleteFrom('oidc_payloads')
      .where('expires_at', '<=', this.now())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async maybePurge(): Promise<void> {
    const now = this.now();
    if (now - this.#lastPurge < PURGE_INTERVAL_MS) return;
    this.#lastPurge = now;
    await this.purgeExpired();
  }
}

type Lookup = 'id' | 'uid' | 'user_code';

export class KyselyAdapter implements Adapter {
  constructor(
    private readonly store: OidcPayloadStore,
    private readonly namespace: string,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const now = this.store.now();
    const values = {
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      expires_at: typeof expiresIn === 'number' ? now + expiresIn * 1000 : null,
    };
    await this.store.storage.db
      .insertInto('oidc_payloads')
      .values({ namespace: this.namespace, model: this.model, id, ...values, consumed_at: null })
      .onConflict((oc) => oc.columns(['namespace', 'model', 'id']).doUpdateSet(values))
      .execute();
    await this.store.maybePurge();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    if (!storableText(id)) return;
    await this.store.storage.db
      .updateTable('oidc_payloads')
      .set({ consumed_at: this.store.now() })
      .where('namespace', '=', this.namespace)
      .where('model', '=', this.model)
      .where('id', '=', id)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    if (!storableText(id)) return;
    await this.store.storage.db
      .deleteFrom('oidc_payloads')
      .where('namespace', '=', this.namespace)
      .where('model', '=', this.model)
      .where('id', '=', id)
      .execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (!storableText(grantId)) return;
    await this.store.storage.db
      .deleteFrom('oidc_payloads')
      .where('namespace', '=', this.namespace)
      .where('model', '=', this.model)
      .where('grant_id', '=', grantId)
      .execute();
  }

  async #findBy(column: Lookup, value: string): Promise<AdapterPayload | undefined> {
    if (typeof value !== 'string' || !storableText(value)) return undefined;
    const now = this.store.now();
    const row = await this.store.storage.db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('namespace', '=', this.namespace)
      .where('model', '=', this.model)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    // oidc-provider reads `consumed` (epoch seconds) to refuse a second use of a code or token.
    return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
  }
}
