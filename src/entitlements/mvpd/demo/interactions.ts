/**
 * The demo providers' own interaction pages (no devInteractions): a plain HTML sign-in form and
 * an implied consent for Domus.
 *
 * `GET  /demo-mvpd/{mvpd}/interaction/{uid}`        the form (or, for a consent prompt, straight on)
 * `POST /demo-mvpd/{mvpd}/interaction/{uid}/login`  user name and password
 * `POST /demo-mvpd/{mvpd}/interaction/{uid}/abort`  cancel: the app gets `access_denied`
 *
 * CSRF: a submission counts only with the interaction cookie oidc-provider set for this very
 * interaction (SameSite=Lax, scoped to its path, signed) and only when that cookie's interaction
 * has the uid of the URL; a cross-site form post carries no such cookie.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from 'oidc-provider';
import { Type } from 'typebox';
import type { HttpServer } from '../../../platform/http/server.js';
import { DEMO_SCOPES } from './claims.js';
import { forwardAsIssuer } from './forwarding.js';
import { errorPage, loginPage } from './pages.js';
import type { DemoProvider, DemoProviderRegistry } from './registry.js';
import type { DemoUsers } from './users.js';

const FORM_BODY_LIMIT = 8 * 1024;
const Params = Type.Object({ mvpdId: Type.String({ maxLength: 64 }), uid: Type.String({ maxLength: 128 }) });

export interface InteractionDeps {
  registry: DemoProviderRegistry;
  users: DemoUsers;
}

type Interaction = Awaited<ReturnType<DemoProvider['provider']['interactionDetails']>>;

export function interactionRoutes(scope: HttpServer, deps: InteractionDeps): void {
  // The sign-in form's posts, and nothing else.
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  const hint = deps.users.builtIn
    ? `Demo users: ${deps.users.list.map((u) => u.user).join(', ')}; the password is the user name.`
    : undefined;

  scope.get('/:mvpdId/interaction/:uid', { schema: { hide: true, params: Params } }, async (request, reply) => {
    const found = await interaction(deps.registry, request, reply, request.params);
    if (!found) return reply;
    const { demo, details } = found;
    if (details.prompt.name === 'consent') return redirect(reply, await consent(demo, request, reply, details));
    if (details.prompt.name !== 'login') {
      return html(reply, 400, errorPage(demo.branding, 'unsupported interaction', details.prompt.name));
    }
    return html(reply, 200, loginPage({ branding: demo.branding, ...actions(demo, details.uid), hint }));
  });

  scope.post('/:mvpdId/interaction/:uid/login', { schema: { hide: true, params: Params } }, async (request, reply) => {
    const found = await interaction(deps.registry, request, reply, request.params);
    if (!found) return reply;
    const { demo, details } = found;
    if (details.prompt.name !== 'login') {
      return html(reply, 400, errorPage(demo.branding, 'this sign-in is no longer waiting for a password', undefined));
    }
    const form = (request.body ?? {}) as Record<string, unknown>;
    const user = typeof form.user === 'string' ? form.user.trim().slice(0, 256) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 256) : '';
    const account = deps.users.authenticate(user, password);
    if (!account) {
      const page = loginPage({
        branding: demo.branding,
        ...actions(demo, details.uid),
        user,
        error: 'Wrong user name or password.',
        hint,
      });
      return html(reply, 401, page);
    }
    const returnTo = await demo.provider.interactionResult(
      request.raw,
      reply.raw,
      { login: { accountId: account.userID } },
      { mergeWithLastSubmission: false },
    );
    return redirect(reply, returnTo);
  });

  scope.post('/:mvpdId/interaction/:uid/abort', { schema: { hide: true, params: Params } }, async (request, reply) => {
    const found = await interaction(deps.registry, request, reply, request.params);
    if (!found) return reply;
    const returnTo = await found.demo.provider.interactionResult(
      request.raw,
      reply.raw,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
    return redirect(reply, returnTo);
  });
}

/** The provider and the interaction of this request, or undefined once an error page is sent. */
async function interaction(
  registry: DemoProviderRegistry,
  request: FastifyRequest,
  reply: FastifyReply,
  params: { mvpdId: string; uid: string },
): Promise<{ demo: DemoProvider; details: Interaction } | undefined> {
  const demo = await registry.resolve(params.mvpdId);
  if (!demo) {
    reply.callNotFound();
    return undefined;
  }
  forwardAsIssuer(request.raw, demo.issuer, request.ip);
  let details: Interaction;
  try {
    details = await demo.provider.interactionDetails(request.raw, reply.raw);
  } catch (error) {
    if (!(error instanceof errors.SessionNotFound)) throw error;
    html(reply, 400, errorPage(demo.branding, 'This sign-in has expired.', 'Start again from the app.'));
    return undefined;
  }
  if (details.uid !== params.uid) {
    html(reply, 400, errorPage(demo.branding, 'This sign-in is not the one in progress.', 'Start again from the app.'));
    return undefined;
  }
  return { demo, details };
}

/** Consent is implied for Domus: grant the demo scopes and go on. */
async function consent(demo: DemoProvider, request: FastifyRequest, reply: FastifyReply, details: Interaction) {
  const { provider } = demo;
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (!accountId || typeof clientId !== 'string') throw new Error('consent prompt without a session or client');
  const grant =
    (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
    new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(DEMO_SCOPES.join(' '));
  const grantId = await grant.save();
  return provider.interactionResult(
    request.raw,
    reply.raw,
    { consent: { grantId } },
    { mergeWithLastSubmission: true },
  );
}

function actions(demo: DemoProvider, uid: string) {
  const base = `${demo.issuer}/interaction/${encodeURIComponent(uid)}`;
  return { action: `${base}/login`, abortAction: `${base}/abort` };
}

function html(reply: FastifyReply, status: number, body: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; frame-ancestors 'none'; base-uri 'none'",
    )
    .send(body);
}

function redirect(reply: FastifyReply, location: string) {
  return reply.status(303).header('cache-control', 'no-store').redirect(location, 303);
}
