/**
 * The public routes of the logout round trip a user agent follows (logout/logout-flow.ts):
 *
 * - `GET /api/v2/logout-flow/{state}`: the URL of a `logout`/`interactive` answer → 302 to the
 *   MVPD's logout (or straight back to the app when the MVPD offers none any more);
 * - `GET /api/v2/mvpd-logout-callback/{mvpd}?state`: an OIDC MVPD's post-logout redirect URI
 *   (mvpd/paths.ts) → 302 to the app's redirectUrl;
 * - `GET /api/v2/saml-slo/{mvpd}?SAMLResponse&RelayState&SigAlg&Signature`: a SAML MVPD's
 *   LogoutResponse (HTTP-Redirect binding) → 302 to the app's redirectUrl.
 *
 * Failures are the user-agent error page (user-agent/pages.ts), 400 or 500, never JSON and never
 * a redirect. States are one-time secrets: the request log redacts them, and the SAML messages
 * (platform/http/redact.ts).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { RoutePlugin } from '../api/pass-api.js';
import type { LogoutFlow } from '../logout/logout-flow.js';
import { errorPage, PAGE_HEADERS } from '../user-agent/pages.js';
import { UserAgentError } from '../user-agent/user-agent-error.js';
import { V2_PARAMS } from './v2-schemas.js';

const tags = ['entitlement API: logout'];
const html = { description: 'an HTML page', content: { 'text/html': { schema: { type: 'string' } } } };
const REDIRECT_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export function logoutFlowRoutes(flow: LogoutFlow): RoutePlugin {
  return (app) => {
    app.setErrorHandler(htmlErrorHandler);

    app.get(
      '/logout-flow/:state',
      {
        schema: {
          tags,
          summary: 'open in a user agent (the url of a logout/interactive answer): on to the MVPD logout',
          params: Type.Object({ state: Type.String({ maxLength: 128 }) }),
          response: { 302: { description: "to the MVPD's logout, or back to the app" }, 400: html, 500: html },
        },
      },
      async (request, reply) => reply.headers(REDIRECT_HEADERS).redirect(await flow.open(request.params.state), 302),
    );

    app.get(
      '/mvpd-logout-callback/:mvpd',
      {
        schema: {
          tags,
          summary: "the MVPD's post-logout redirect (Domus's post_logout_redirect_uri): back to the app",
          params: Type.Object({ mvpd: V2_PARAMS.mvpd }),
          querystring: Type.Object({ state: Type.Optional(Type.String({ maxLength: 128 })) }),
          response: { 302: { description: "to the app's redirectUrl" }, 400: html, 500: html },
        },
      },
      async (request, reply) =>
        reply.headers(REDIRECT_HEADERS).redirect(await flow.finish(request.params.mvpd, request.query.state), 302),
    );

    const samlParameter = (description: string) => Type.Optional(Type.String({ maxLength: 16_384, description }));
    app.get(
      '/saml-slo/:mvpd',
      {
        schema: {
          tags,
          summary:
            "a SAML MVPD's single logout messages (HTTP-Redirect binding, signed): its LogoutResponse (back to the app), or its own LogoutRequest (answered)",
          params: Type.Object({ mvpd: V2_PARAMS.mvpd }),
          querystring: Type.Object({
            SAMLResponse: samlParameter('the LogoutResponse, DEFLATE and base64'),
            SAMLRequest: samlParameter("the IdP's LogoutRequest, DEFLATE and base64"),
            RelayState: samlParameter("the pending logout's state"),
            SigAlg: samlParameter('the signature algorithm (RSA-SHA256 or stronger)'),
            Signature: samlParameter("the IdP's signature of the query"),
          }),
          response: {
            302: { description: "to the app's redirectUrl, or the IdP's SLO service with a LogoutResponse" },
            400: html,
            500: html,
          },
        },
      },
      async (request, reply) => {
        const url = request.raw.url ?? '';
        const rawQuery = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
        const next =
          request.query.SAMLRequest !== undefined
            ? await flow.answerSaml(request.params.mvpd, rawQuery)
            : await flow.finishSaml(request.params.mvpd, rawQuery);
        return reply.headers(REDIRECT_HEADERS).redirect(next, 302);
      },
    );
  };
}

function htmlErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  let failure: UserAgentError;
  if (error instanceof UserAgentError) {
    failure = error;
    if (error.cause) request.log.warn({ err: error.cause, trace: request.id }, `logout step failed: ${error.title}`);
  } else if ((error as FastifyError).validation || ((error as FastifyError).statusCode ?? 500) < 500) {
    failure = new UserAgentError(400, 'This sign-out link is not valid', 'Sign out again from your app.');
  } else {
    request.log.error({ err: error, trace: request.id }, 'logout round trip failed');
    failure = new UserAgentError(
      500,
      'Something went wrong',
      'The sign-out could not continue. Please try again later.',
    );
  }
  return reply.status(failure.status).headers(PAGE_HEADERS).send(errorPage(failure, request.id));
}
