/**
 * The user-agent routes of authentication (docs/entitlement-api.md, "5. Sign the viewer in"; the
 * rules are in user-agent/login-flow.ts), public: a browser or webview opens them without a token.
 *
 * - `GET /api/v2/authenticate/{sp}/{code}[?mvpd=]`: the MVPD picker (200) while the session has
 *   no MVPD, else 302 to the MVPD's login;
 * - `GET /api/v2/mvpd-callback/{mvpd}?state&code`: where the MVPD sends the user agent back (the
 *   redirect URI Domus registers with it) → 302 to the session's redirect URL, or a "you are
 *   signed in" page when the session has none;
 * - `POST /api/v2/saml-acs/{mvpd}` (form `SAMLResponse`, `RelayState`): the assertion consumer
 *   service of a SAML MVPD (HTTP-POST binding) → 303 to the session's redirect URL, or the same
 *   "you are signed in" page.
 *
 * Every failure is an HTML page (400 for what the user or the link got wrong, 500 for the MVPD's
 * or Domus's faults), never JSON and never a redirect.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { parseFormBody } from '../api/oauth.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { describeDevice } from '../sessions/device-description.js';
import { authenticatePath, type FinishedLogin, type LoginFlows } from '../user-agent/login-flow.js';
import { errorPage, PAGE_HEADERS, pickerPage, signedInPage } from '../user-agent/pages.js';
import { UserAgentError } from '../user-agent/user-agent-error.js';
import { Code } from './session-schemas.js';
import { V2_PARAMS } from './v2-schemas.js';

const tags = ['entitlement API: user agent'];
const html = { description: 'an HTML page', content: { 'text/html': { schema: { type: 'string' } } } };

/** The SAML HTTP-POST binding's form (a Response with a certificate and attributes stays well under 256 KiB). */
const SamlPostForm = Type.Object({
  SAMLResponse: Type.Optional(Type.String({ maxLength: 400_000, description: 'the Response, base64' })),
  RelayState: Type.Optional(Type.String({ maxLength: 256, description: "the login flow's state" })),
});

export function authenticateRoutes(login: LoginFlows): RoutePlugin {
  return (app) => {
    app.setErrorHandler(htmlErrorHandler);
    // The SAML IdP's auto-submitted form (HTTP-POST binding), and nothing else.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseFormBody);

    app.get(
      '/authenticate/:serviceProvider/:code',
      {
        schema: {
          tags,
          summary: 'open in a user agent: the MVPD picker, or on to the MVPD login',
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, code: Code }),
          querystring: Type.Object({ mvpd: Type.Optional(V2_PARAMS.mvpd) }),
          response: { 200: html, 302: { description: "to the MVPD's login" }, 400: html, 500: html },
        },
      },
      async (request, reply) => {
        const { serviceProvider, code } = request.params;
        const step = await login.begin(serviceProvider, code.toUpperCase(), request.query.mvpd);
        if (step.kind === 'redirect') return reply.header('cache-control', 'no-store').redirect(step.url, 302);
        const path = authenticatePath(step.session);
        const body = pickerPage({
          serviceProviderName: step.serviceProvider.displayName,
          mvpds: step.mvpds,
          choose: (mvpd) => `${path}?mvpd=${encodeURIComponent(mvpd)}`,
          device: describeDevice(step.session.deviceInfo),
        });
        return reply.status(200).headers(PAGE_HEADERS).send(body);
      },
    );

    app.get(
      '/mvpd-callback/:mvpd',
      {
        schema: {
          tags,
          summary: "the MVPD's authorization response (Domus's redirect URI): stores the profile",
          params: Type.Object({ mvpd: V2_PARAMS.mvpd }),
          response: { 200: html, 302: { description: "to the session's redirect URL" }, 400: html, 500: html },
        },
      },
      async (request, reply) => {
        const query = new URL(request.url, 'http://unused').searchParams;
        return signedIn(reply, await login.finish(request.params.mvpd, query), 302);
      },
    );

    app.post(
      '/saml-acs/:mvpd',
      {
        bodyLimit: 512 * 1024,
        schema: {
          tags,
          summary:
            "a SAML MVPD's assertion consumer service (HTTP-POST binding): checks the Response, stores the profile",
          params: Type.Object({ mvpd: V2_PARAMS.mvpd }),
          body: { content: { 'application/x-www-form-urlencoded': { schema: SamlPostForm } } },
          response: { 200: html, 303: { description: "to the session's redirect URL" }, 400: html, 500: html },
        },
      },
      async (request, reply) => {
        const form = request.body as Static<typeof SamlPostForm>;
        return signedIn(reply, await login.finishSaml(request.params.mvpd, form), 303);
      },
    );
  };
}

/** The end of a successful login: on to the session's redirect URL, or the "you are signed in" page. */
function signedIn(reply: FastifyReply, done: FinishedLogin, status: 302 | 303) {
  const { redirectUrl } = done.session;
  if (redirectUrl) return reply.header('cache-control', 'no-store').redirect(redirectUrl, status);
  return reply
    .status(200)
    .headers(PAGE_HEADERS)
    .send(signedInPage(done.serviceProvider.displayName, done.mvpd.displayName));
}

function htmlErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  let failure: UserAgentError;
  if (error instanceof UserAgentError) {
    failure = error;
    if (error.cause)
      request.log.warn({ err: error.cause, trace: request.id }, `user-agent step failed: ${error.title}`);
  } else if ((error as FastifyError).validation || ((error as FastifyError).statusCode ?? 500) < 500) {
    failure = new UserAgentError(400, 'This sign-in link is not valid', 'Start the sign-in again from your app.');
  } else {
    request.log.error({ err: error, trace: request.id }, 'user-agent step failed');
    failure = new UserAgentError(
      500,
      'Something went wrong',
      'The sign-in could not continue. Please try again later.',
    );
  }
  return reply.status(failure.status).headers(PAGE_HEADERS).send(errorPage(failure, request.id));
}
