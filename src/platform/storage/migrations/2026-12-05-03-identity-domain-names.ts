/**
 * Identity domain names become unambiguous (issue 9). They were `{nq}:{sub}` with ":" allowed in
 * both parts, so two identities could share a domain; they are now `{nq}:{sub}` with "%" and ":"
 * of the sub percent-encoded (`%25`, `%3A`), so the last ":" separates the two parts
 * (docs/domain-server.md, "Domain names"). Names are readable as before and most stay as they
 * were: only a name whose sub holds "%" or ":" changes.
 *
 * An old name does not say where its nq ended. The namespaces known to this database (every
 * MVPD's and the domain's own `authNamespace`) decide when one of them begins the name, the
 * longest first; otherwise the last ":" does (namespaces such as URLs hold ":" more often than
 * user names do). A renamed domain keeps its id, members and keys; its certificates, which name
 * the old name, are dropped so the next join issues them again under the new one.
 *
 * Self-contained on purpose: a migration is never edited, whatever the code's naming does later.
 */
import { type Kysely, sql } from 'kysely';

interface IdentityDomain {
  id: number;
  name: string;
  auth_namespace: string | null;
}

interface Rename {
  id: number;
  from: string;
  to: string;
}

const escapeSubject = (subject: string) => subject.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
const unescapeSubject = (escaped: string) => escaped.replace(/%(25|3A)/g, (_, code) => (code === '25' ? '%' : ':'));

export async function up(db: Kysely<unknown>): Promise<void> {
  await inTransaction(db, async (trx) => {
    const mvpds = await sql<{ auth_namespace: string }>`select auth_namespace from mvpds`.execute(trx);
    const known = mvpds.rows.map((row) => row.auth_namespace);
    const renames: Rename[] = [];
    for (const domain of await identityDomains(trx)) {
      const to = unambiguous(domain.name, [...known, ...(domain.auth_namespace ? [domain.auth_namespace] : [])]);
      if (to !== domain.name) renames.push({ id: domain.id, from: domain.name, to });
    }
    await rename(trx, renames);
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await inTransaction(db, async (trx) => {
    const domains = await identityDomains(trx);
    const renames: Rename[] = [];
    const taken = new Map<string, string>();
    for (const domain of domains) {
      const separator = domain.name.lastIndexOf(':');
      const to =
        separator > 0
          ? `${domain.name.slice(0, separator)}:${unescapeSubject(domain.name.slice(separator + 1))}`
          : domain.name;
      const twin = taken.get(to);
      if (twin !== undefined) {
        throw new Error(
          `cannot undo unambiguous identity domain names: "${twin}" and "${domain.name}" would both be "${to}"; remove one of them first`,
        );
      }
      taken.set(to, domain.name);
      if (to !== domain.name) renames.push({ id: domain.id, from: domain.name, to });
    }
    await rename(trx, renames);
  });
}

/** The new name of an old one, split after the longest known namespace that begins it, else at its last ":". */
function unambiguous(name: string, namespaces: string[]): string {
  const namespace = namespaces
    .filter((ns) => ns.length > 0 && name.length > ns.length + 1 && name.startsWith(`${ns}:`))
    .sort((a, b) => b.length - a.length)[0];
  const separator = namespace !== undefined ? namespace.length : name.lastIndexOf(':');
  if (separator <= 0) return name;
  return `${name.slice(0, separator)}:${escapeSubject(name.slice(separator + 1))}`;
}

async function identityDomains(db: Kysely<unknown>): Promise<IdentityDomain[]> {
  const result = await sql<IdentityDomain>`
    select id, name, auth_namespace from domains where mode = 'identity' order by id`.execute(db);
  return result.rows.map((row) => ({ ...row, id: Number(row.id) }));
}

/**
 * Renames in two steps, each domain first to a name no identity domain can have (it has no ":"),
 * so that no rename meets a name another one is about to give up; then drops the renamed
 * domains' certificates, which name the old names.
 */
async function rename(db: Kysely<unknown>, renames: Rename[]): Promise<void> {
  for (const { id } of renames) {
    await sql`update domains set name = ${`renaming-${id}`} where id = ${id}`.execute(db);
  }
  for (const { id, to } of renames) {
    await sql`update domains set name = ${to} where id = ${id}`.execute(db);
    await sql`update domain_keys set certificate = null, certificate_not_before = null where domain_id = ${id}`.execute(
      db,
    );
  }
}

/** PostgreSQL runs each migration in a transaction already; SQLite's needs one of its own. */
async function inTransaction(db: Kysely<unknown>, work: (trx: Kysely<unknown>) => Promise<void>): Promise<void> {
  if (db.isTransaction) return work(db);
  await db.transaction().execute(work);
}
