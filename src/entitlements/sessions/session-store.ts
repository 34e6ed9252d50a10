/**
 * Authentication sessions (docs/entitlement-api.md, "5. Sign the viewer in"): the code a primary
 * device shows and a second screen resumes, with the parameters gathered so far. Codes are 7
 * upper-case letters and digits (without the look-alikes 0, O, 1, I), valid 30 minutes.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuthenticationSessionTable, Database } from '../../platform/storage/schema.js';

export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CODE_PATTERN = /^[A-Z0-9]{7}$/;
export const SESSION_LIFETIME_MS = 30 * 60 * 1000;

export interface SessionParameters {
  mvpd: string | null;
  domainName: string | null;
  redirectUrl: string | null;
}

export interface AuthenticationSession extends SessionParameters {
  code: string;
  sessionId: string;
  clientId: string;
  serviceProviderId: string;
  deviceId: string;
  /** X-Device-Info of the primary device, as sent. */
  deviceInfo: Record<string, unknown>;
  notBefore: number;
  notAfter: number;
}

export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(
    input: Omit<AuthenticationSession, 'code' | 'sessionId' | 'notBefore' | 'notAfter'>,
    now = Date.now(),
  ): Promise<AuthenticationSession> {
    for (;;) {
      const session: AuthenticationSession = {
        ...input,
        code: newCode(),
        sessionId: randomUUID(),
        notBefore: now,
        notAfter: now + SESSION_LIFETIME_MS,
      };
      const inserted = await this.db
        .insertInto('authentication_sessions')
        .values({
          code: session.code,
          session_id: session.sessionId,
          client_id: session.clientId,
          service_provider_id: session.serviceProviderId,
          device_id: session.deviceId,
          device_info: JSON.stringify(session.deviceInfo),
          mvpd_id: session.mvpd,
          domain_name: session.domainName,
          redirect_url: session.redirectUrl,
          not_before: session.notBefore,
          not_after: session.notAfter,
        })
        .onConflict((oc) => oc.column('code').doNothing())
        .returning('code')
        .executeTakeFirst();
      if (inserted) return session;
    }
  }

  /** The unexpired session of `code` for `serviceProviderId`, or undefined. */
  async find(code: string, serviceProviderId: string, now = Date.now()): Promise<AuthenticationSession | undefined> {
    if (!CODE_PATTERN.test(code)) return undefined;
    const row = await this.db
      .selectFrom('authentication_sessions')
      .selectAll()
      .where('code', '=', code)
      .where('service_provider_id', '=', serviceProviderId)
      .where('not_after', '>', now)
      .executeTakeFirst();
    return row && toSession(row);
  }

  /** Fills in parameters that were missing; answers the updated session. */
  async update(session: AuthenticationSession, parameters: Partial<SessionParameters>): Promise<AuthenticationSession> {
    const next = { ...session, ...parameters };
    await this.db
      .updateTable('authentication_sessions')
      .set({ mvpd_id: next.mvpd, domain_name: next.domainName, redirect_url: next.redirectUrl })
      .where('code', '=', session.code)
      .execute();
    return next;
  }

  async purgeExpired(now = Date.now()): Promise<void> {
    await this.db.deleteFrom('authentication_sessions').where('not_after', '<=', now).execute();
  }
}

function newCode(): string {
  return Array.from({ length: 7 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
}

function toSession(row: Selectable<AuthenticationSessionTable>): AuthenticationSession {
  return {
    code: row.code,
    sessionId: row.session_id,
    clientId: row.client_id,
    serviceProviderId: row.service_provider_id,
    deviceId: row.device_id,
    deviceInfo: JSON.parse(row.device_info) as Record<string, unknown>,
    mvpd: row.mvpd_id,
    domainName: row.domain_name,
    redirectUrl: row.redirect_url,
    notBefore: Number(row.not_before),
    notAfter: Number(row.not_after),
  };
}
