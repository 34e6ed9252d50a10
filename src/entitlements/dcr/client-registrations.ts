/**
 * Client registrations of Dynamic Client Registration: the credentials an application obtains
 * with its software statement. The secret is 256 random bits and is stored only as its SHA-256
 * digest (a slow password hash adds nothing to a secret of that strength); it is compared in
 * constant time, also for an unknown client id.
 *
 * Every authenticated app request names its registration (api/request-context.ts): `find`
 * answers from a shared cache, which any operator change empties in every process (a rotated
 * statement or a deleted application revokes registrations; see operator/store.ts).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Storage } from '../../platform/storage/database.js';
import type { Database } from '../../platform/storage/schema.js';
import { SharedCache } from '../../platform/storage/shared-cache.js';
import type { Application } from '../operator/model.js';
import { toApplication } from '../operator/store.js';

export interface ClientRegistration {
  clientId: string;
  applicationId: string;
  /** The software statement id the client registered with; a rotated statement revokes it. */
  statementId: string;
  redirectUris: string[];
  /** Epoch milliseconds. */
  createdAt: number;
}

/** A registration with the application it belongs to (deleting an application deletes its registrations). */
export interface RegisteredClient {
  registration: ClientRegistration;
  application: Application;
}

const UNKNOWN_CLIENT_DIGEST = digest(randomBytes(32).toString('base64url'));

export class ClientRegistrations {
  readonly #db: Kysely<Database>;
  readonly #found: SharedCache<RegisteredClient>;

  constructor(storage: Storage) {
    this.#db = storage.db;
    this.#found = new SharedCache(storage);
  }

  /** Stores a new registration and answers it with its secret (the only time the secret exists in clear). */
  async create(
    input: Pick<ClientRegistration, 'applicationId' | 'statementId' | 'redirectUris'>,
    now = Date.now(),
  ): Promise<{ registration: ClientRegistration; clientSecret: string }> {
    const registration: ClientRegistration = { clientId: randomUUID(), ...input, createdAt: now };
    const clientSecret = randomBytes(32).toString('base64url');
    await this.#db
      .insertInto('client_registrations')
      .values({
        client_id: registration.clientId,
        secret_hash: digest(clientSecret).toString('hex'),
        application_id: registration.applicationId,
        statement_id: registration.statementId,
        redirect_uris: JSON.stringify(registration.redirectUris),
        created_at: now,
      })
      .execute();
    return { registration, clientSecret };
  }

  /** The registration and its application when `secret` is the client's; null otherwise. */
  async authenticate(clientId: string, secret: string): Promise<RegisteredClient | null> {
    const row = await selectClient(this.#db, clientId);
    const expected = row ? Buffer.from(row.secret_hash, 'hex') : UNKNOWN_CLIENT_DIGEST;
    const matches = expected.length === 32 && timingSafeEqual(digest(secret), expected);
    return row && matches ? toRegisteredClient(row) : null;
  }

  /** The registration and its application (one query, when not cached). */
  async find(clientId: string): Promise<RegisteredClient | null> {
    const found = await this.#found.get(clientId, async () => {
      const row = await selectClient(this.#db, clientId);
      return row && toRegisteredClient(row);
    });
    return found ?? null;
  }
}

function selectClient(db: Kysely<Database>, clientId: string) {
  return db
    .selectFrom('client_registrations as c')
    .innerJoin('applications as a', 'a.id', 'c.application_id')
    .select([
      'c.client_id',
      'c.secret_hash',
      'c.statement_id as client_statement_id',
      'c.redirect_uris',
      'c.created_at as client_created_at',
      'a.id',
      'a.name',
      'a.service_providers',
      'a.redirect_domains',
      'a.scopes',
      'a.statement_id',
      'a.created_at',
      'a.updated_at',
    ])
    .where('c.client_id', '=', clientId)
    .executeTakeFirst();
}

function toRegisteredClient(row: NonNullable<Awaited<ReturnType<typeof selectClient>>>): RegisteredClient {
  return {
    registration: {
      clientId: row.client_id,
      applicationId: row.id,
      statementId: row.client_statement_id,
      redirectUris: JSON.parse(row.redirect_uris) as string[],
      createdAt: row.client_created_at,
    },
    application: toApplication(row),
  };
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
