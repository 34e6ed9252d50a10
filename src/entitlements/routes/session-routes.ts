/**
 * Authentication sessions (docs/entitlement-api.md, "5. Sign the viewer in"; the rules are in
 * sessions/session-service.ts):
 *
 * - `POST /api/v2/{sp}/sessions`: form body `mvpd`, `domainName`, `redirectUrl`; both device
 *   headers required → `SessionResponse`;
 * - `POST /api/v2/{sp}/sessions/{code}`: resume, same body, no device headers → `SessionResponse`;
 * - `GET /api/v2/{sp}/sessions/{code}`: what the session has and lacks, and the primary device.
 *
 * An unknown or expired code is `invalid_authentication_session`; a malformed one
 * `invalid_parameter_code`. Codes are matched case-insensitively (people type them).
 */
import type { Static } from 'typebox';
import { Type } from 'typebox';
import { parseDeviceIdentifier, parseDeviceInfo } from '../api/device-headers.js';
import { v2ErrorResponses } from '../api/enhanced-errors.js';
import { parseFormBody } from '../api/oauth.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { passContext } from '../api/request-context.js';
import { describeDevice } from '../sessions/device-description.js';
import { existingParameters, missingParameters } from '../sessions/session-parameters.js';
import type { SessionCaller, SessionOutcome, SessionService } from '../sessions/session-service.js';
import { Code, SessionForm, SessionResponse, SessionStatusResponse } from './session-schemas.js';
import { V2_PARAMS, v2Security } from './v2-schemas.js';

const tags = ['entitlement API: sessions'];
const PathWithCode = Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, code: Code });
const formBody = { content: { 'application/x-www-form-urlencoded': { schema: SessionForm } } };

type Request = Parameters<typeof passContext>[0];

function caller(request: Request): SessionCaller {
  const { client, serviceProvider } = passContext(request);
  return {
    clientId: client.registration.clientId,
    serviceProviderId: serviceProvider.id,
    redirectDomains: client.application.redirectDomains,
  };
}

export function sessionRoutes(sessions: SessionService): RoutePlugin {
  return (app) => {
    // Create and resume take a form body (Adobe: Content-Type application/x-www-form-urlencoded).
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseFormBody);

    app.post(
      '/:serviceProvider/sessions',
      {
        schema: {
          tags,
          summary: 'start an authentication: says whether to authenticate, resume or go straight to decisions',
          security: v2Security,
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider }),
          headers: V2_PARAMS.optionalDeviceHeaders,
          body: formBody,
          response: { 200: SessionResponse, ...v2ErrorResponses },
        },
      },
      async (request) => {
        const identifier = parseDeviceIdentifier(request.headers['ap-device-identifier']);
        const info = parseDeviceInfo(request.headers['x-device-info']);
        const form = (request.body ?? {}) as Static<typeof SessionForm>;
        const outcome = await sessions.create(caller(request), { id: identifier.identifier, info: info.raw }, form);
        return sessionResponse(outcome, false);
      },
    );

    app.post(
      '/:serviceProvider/sessions/:code',
      {
        schema: {
          tags,
          summary: 'resume a session with the parameters it lacks (second screen)',
          security: v2Security,
          params: PathWithCode,
          body: formBody,
          response: { 200: SessionResponse, ...v2ErrorResponses },
        },
      },
      async (request) => {
        const form = (request.body ?? {}) as Static<typeof SessionForm>;
        const outcome = await sessions.resume(caller(request), request.params.code.toUpperCase(), form);
        return sessionResponse(outcome, true);
      },
    );

    app.get(
      '/:serviceProvider/sessions/:code',
      {
        schema: {
          tags,
          summary: "a session's parameters and its primary device (second screen checks a typed code)",
          security: v2Security,
          params: PathWithCode,
          response: { 200: SessionStatusResponse, ...v2ErrorResponses },
        },
      },
      async (request) => {
        const { serviceProvider } = passContext(request);
        const session = await sessions.read(serviceProvider.id, request.params.code.toUpperCase());
        return {
          existingParameters: { ...existingParameters(session), serviceProvider: session.serviceProviderId },
          missingParameters: missingParameters(session),
          device: describeDevice(session.deviceInfo),
          notBefore: String(session.notBefore),
          notAfter: String(session.notAfter),
        };
      },
    );
  };
}

/** Adobe's SessionResponse of an outcome; `resumed` answers carry the code and its window always. */
export function sessionResponse(outcome: SessionOutcome, resumed: boolean): Static<typeof SessionResponse> {
  if (outcome.action === 'authorize') {
    const { session } = outcome;
    return {
      actionName: 'authorize',
      actionType: 'direct',
      reasonType: 'authenticated',
      url: `/api/v2/${encodeURIComponent(outcome.serviceProviderId)}/decisions/authorize/${encodeURIComponent(outcome.mvpd)}`,
      ...(resumed && session && codeWindow(session)),
      sessionId: outcome.sessionId,
      mvpd: outcome.mvpd,
      serviceProvider: outcome.serviceProviderId,
    };
  }
  const { session } = outcome;
  const sp = encodeURIComponent(session.serviceProviderId);
  const code = encodeURIComponent(session.code);
  const next =
    outcome.action === 'authenticate'
      ? { actionName: 'authenticate', actionType: 'interactive', url: `/api/v2/authenticate/${sp}/${code}` }
      : {
          actionName: outcome.action,
          actionType: 'direct',
          missingParameters: outcome.missing,
          url: `/api/v2/${sp}/sessions/${code}`,
        };
  return {
    ...next,
    reasonType: 'none',
    ...codeWindow(session),
    sessionId: session.sessionId,
    ...(session.mvpd !== null && { mvpd: session.mvpd }),
    serviceProvider: session.serviceProviderId,
  };
}

function codeWindow(session: { code: string; notBefore: number; notAfter: number }) {
  return { code: session.code, notBefore: String(session.notBefore), notAfter: String(session.notAfter) };
}
