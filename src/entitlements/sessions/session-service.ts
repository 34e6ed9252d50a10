/**
 * Authentication sessions (docs/entitlement-api.md, "5. Sign the viewer in"): what an app must do
 * next to get its viewer a profile. Transport-neutral: the routes render the outcomes.
 *
 * Create (the primary device, with its device headers), in this order:
 * 1. every given parameter is checked (session-parameters.ts); a bad one fails the request;
 * 2. a valid profile of this client, device, service provider and MVPD → `authorize` (no session);
 * 3. a parameter is missing → `resume` with a new session (code) holding what was given;
 * 4. otherwise → `authenticate` with a new session.
 *
 * Resume (any client of the service provider holding the code, e.g. a second screen): the given
 * parameters are checked and replace the session's; then `authorize` when the primary device
 * already holds a valid profile for the MVPD, `retry` while a parameter is missing, else
 * `authenticate`. A `redirectUrl` is always checked against the application that sends it.
 */
import { randomUUID } from 'node:crypto';
import { PassError } from '../errors.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import {
  givenParameters,
  missingParameters,
  type ParameterName,
  type RequestParameters,
  type SessionParameterChecks,
} from './session-parameters.js';
import type { AuthenticationSession, SessionStore } from './session-store.js';

/** Who calls: the client registration, the service provider of the path, the application's redirect domains. */
export interface SessionCaller {
  clientId: string;
  serviceProviderId: string;
  redirectDomains: readonly string[];
}

export interface PrimaryDevice {
  /** The canonical AP-Device-Identifier. */
  id: string;
  /** X-Device-Info as sent. */
  info: Record<string, unknown>;
}

export type SessionOutcome =
  /** A valid profile exists: go to decisions. `session` is the resumed one, absent on create. */
  | { action: 'authorize'; serviceProviderId: string; mvpd: string; sessionId: string; session?: AuthenticationSession }
  /** Parameters are missing: give them with a resume. */
  | { action: 'resume' | 'retry'; session: AuthenticationSession; missing: ParameterName[] }
  /** Open the authenticate URL in a user agent. */
  | { action: 'authenticate'; session: AuthenticationSession };

const PURGE_INTERVAL_MS = 60_000;

export class SessionService {
  #lastPurge = 0;

  constructor(
    private readonly deps: {
      sessions: SessionStore;
      profiles: Pick<ProfileStore, 'find'>;
      checks: SessionParameterChecks;
    },
  ) {}

  async create(
    caller: SessionCaller,
    device: PrimaryDevice,
    request: RequestParameters,
    now = Date.now(),
  ): Promise<SessionOutcome> {
    const given = givenParameters(request);
    await this.deps.checks.check(given, caller);
    const key = { clientId: caller.clientId, deviceId: device.id, serviceProviderId: caller.serviceProviderId };
    if (given.mvpd && (await this.#hasValidProfile(key, given.mvpd, now))) {
      return {
        action: 'authorize',
        serviceProviderId: caller.serviceProviderId,
        mvpd: given.mvpd,
        sessionId: randomUUID(),
      };
    }
    await this.#purgeNowAndThen(now);
    const session = await this.deps.sessions.create(
      {
        clientId: caller.clientId,
        serviceProviderId: caller.serviceProviderId,
        deviceId: device.id,
        deviceInfo: device.info,
        mvpd: given.mvpd ?? null,
        domainName: given.domainName ?? null,
        redirectUrl: given.redirectUrl ?? null,
      },
      now,
    );
    const missing = missingParameters(session);
    return missing.length > 0 ? { action: 'resume', session, missing } : { action: 'authenticate', session };
  }

  async resume(
    caller: SessionCaller,
    code: string,
    request: RequestParameters,
    now = Date.now(),
  ): Promise<SessionOutcome> {
    const found = await this.read(caller.serviceProviderId, code, now);
    const given = givenParameters(request);
    await this.deps.checks.check(given, caller);
    const session = Object.keys(given).length > 0 ? await this.deps.sessions.update(found, given) : found;
    if (session.mvpd) {
      const key = {
        clientId: session.clientId,
        deviceId: session.deviceId,
        serviceProviderId: session.serviceProviderId,
      };
      if (await this.#hasValidProfile(key, session.mvpd, now)) {
        return {
          action: 'authorize',
          serviceProviderId: session.serviceProviderId,
          mvpd: session.mvpd,
          sessionId: session.sessionId,
          session,
        };
      }
    }
    const missing = missingParameters(session);
    return missing.length > 0 ? { action: 'retry', session, missing } : { action: 'authenticate', session };
  }

  /** The unexpired session of a code; `invalid_authentication_session` when there is none. */
  async read(serviceProviderId: string, code: string, now = Date.now()): Promise<AuthenticationSession> {
    const session = await this.deps.sessions.find(code, serviceProviderId, now);
    if (!session) throw new PassError('invalid_authentication_session', 'unknown or expired code');
    return session;
  }

  async #hasValidProfile(
    key: { clientId: string; deviceId: string; serviceProviderId: string },
    mvpd: string,
    now: number,
  ): Promise<boolean> {
    const profile = await this.deps.profiles.find(key, mvpd);
    return profile !== undefined && profile.notAfter > now;
  }

  /** Expired sessions go at most once a minute per process, on the way to creating one. */
  async #purgeNowAndThen(now: number): Promise<void> {
    if (now - this.#lastPurge < PURGE_INTERVAL_MS) return;
    this.#lastPurge = now;
    await this.deps.sessions.purgeExpired(now);
  }
}
