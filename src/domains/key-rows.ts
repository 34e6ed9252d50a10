/**
 * The rows of domain key versions (table domain_keys): listed, added, deleted after a rollover,
 * destroyed past their key retention, and given their certificate. The key material itself:
 * domain-keys.ts.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../platform/storage/schema.js';
import { type KeyRecord, toKey } from './records.js';

type Db = Kysely<Database>;

export async function listKeys(db: Db, domainId: number): Promise<KeyRecord[]> {
  const rows = await db
    .selectFrom('domain_keys')
    .selectAll()
    .where('domain_id', '=', domainId)
    .orderBy('version')
    .execute();
  return rows.map(toKey);
}

export async function addKey(db: Db, domainId: number, key: KeyRecord): Promise<void> {
  await db
    .insertInto('domain_keys')
    .values({
      domain_id: domainId,
      version: key.version,
      public_key: key.publicKeySpki.toString('base64'),
      sealed_private: key.sealedPrivate,
      certificate: key.certificate?.toString('base64') ?? null,
      certificate_not_before: key.certificateNotBefore,
      created_at: key.createdAt,
    })
    .execute();
}

/** Destroys key versions of a domain: their private keys are gone with their rows. */
export async function deleteKeys(db: Db, domainId: number, versions: number[]): Promise<void> {
  if (versions.length === 0) return;
  await db.deleteFrom('domain_keys').where('domain_id', '=', domainId).where('version', 'in', versions).execute();
}

/**
 * Destroys, across all domains, the superseded key versions past their domain's key retention
 * (a newer version was made more than key_retention_s ago); answers how many.
 */
export async function destroyExpiredKeys(db: Db, now: number): Promise<number> {
  const result = await db
    .deleteFrom('domain_keys as k')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('domain_keys as n')
          .innerJoin('domains as d', 'd.id', 'n.domain_id')
          .select(sql<number>`1`.as('one'))
          .whereRef('n.domain_id', '=', 'k.domain_id')
          .whereRef('n.version', '>', 'k.version')
          .where('d.key_retention_s', 'is not', null)
          .where(sql<boolean>`n.created_at + d.key_retention_s * 1000 <= ${now}`),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function saveCertificate(
  db: Db,
  domainId: number,
  version: number,
  certificate: Buffer,
  notBefore: number,
) {
  await db
    .updateTable('domain_keys')
    .set({ certificate: certificate.toString('base64'), certificate_not_before: notBefore })
    .where('domain_id', '=', domainId)
    .where('version', '=', version)
    .execute();
}
