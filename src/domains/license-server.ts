/**
 * The license-server view of a domain (docs/license-servers.md): which key version new licenses
 * are bound to, which versions members still receive, and whether a rollover is pending. Read
 * only, in one query; it destroys nothing (the join and the periodic purge do, key-rows.ts).
 */
import { X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AdminError } from '../platform/http/admin.js';
import type { Database } from '../platform/storage/schema.js';
import { serverUrlOf } from './policy.js';
import type { Mode } from './records.js';
import { retainedKeys } from './rejoin-query.js';

export interface LicenseServerKeyVersion {
  version: number;
  createdAt: string;
  /** When the next version was made, or null for the current version. */
  supersededAt: string | null;
  /** The version's certificate of the current validity window (base64 DER), or null (§10.1). */
  certificate: string | null;
  certificateNotAfter: string | null;
}

export interface LicenseServerView {
  mode: Mode;
  name: string;
  serverUrl: string;
  currentKeyVersion: number;
  oldestKeyVersion: number;
  rolloverPending: boolean;
  keyVersions: LicenseServerKeyVersion[];
}

/**
 * The view of one domain at `now`. No such domain, or a domain no machine has joined yet (it has
 * no key version): AdminError 404.
 */
export async function licenseServerView(
  db: Kysely<Database>,
  publicRoot: string,
  mode: Mode,
  name: string,
  now = Date.now(),
): Promise<LicenseServerView> {
  // Only the public parts of the keys: the sealed private keys are not read.
  const rows = await db
    .selectFrom('domains as d')
    .leftJoin('domain_keys as k', 'k.domain_id', 'd.id')
    .select(['d.key_rollover_required', 'd.key_retention_s', 'k.version', 'k.certificate', 'k.created_at'])
    .where('d.mode', '=', mode)
    .where('d.name', '=', name)
    .orderBy('k.version')
    .execute();
  const first = rows[0];
  if (!first) throw new AdminError(404, 'not_found', `no ${mode} domain named "${name}"`);
  const stored = rows.flatMap((row) =>
    row.version === null || row.created_at === null
      ? []
      : [{ version: row.version, certificate: row.certificate, createdAt: Number(row.created_at) }],
  );
  const keys = retainedKeys(stored, first.key_retention_s, now);
  const current = keys.at(-1);
  const oldest = keys[0];
  if (!current || !oldest) {
    throw new AdminError(404, 'not_found', `the ${mode} domain "${name}" has no key yet: no machine has joined it`);
  }
  return {
    mode,
    name,
    serverUrl: serverUrlOf(publicRoot, mode, name),
    currentKeyVersion: current.version,
    oldestKeyVersion: oldest.version,
    rolloverPending: first.key_rollover_required === 1,
    keyVersions: keys.map((key) => {
      const successor = stored.find((other) => other.version > key.version);
      const certificate = currentCertificate(key.certificate, now);
      return {
        version: key.version,
        createdAt: new Date(key.createdAt).toISOString(),
        supersededAt: successor ? new Date(successor.createdAt).toISOString() : null,
        certificate: certificate?.der ?? null,
        certificateNotAfter: certificate?.notAfter ?? null,
      };
    }),
  };
}

/** The stored certificate (base64 DER) while it is valid at `now`; an expired one is of no use. */
function currentCertificate(base64: string | null, now: number): { der: string; notAfter: string } | undefined {
  if (base64 === null) return undefined;
  const certificate = new X509Certificate(Buffer.from(base64, 'base64'));
  if (certificate.validFromDate.getTime() > now || certificate.validToDate.getTime() <= now) return undefined;
  return { der: base64, notAfter: certificate.validToDate.toISOString() };
}
