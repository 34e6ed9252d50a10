/**
 * The operator console (docs/console.md), served by Domus on the admin API's listener: the
 * sign-in page, the single-page console built from console/ (every path under /console/ answers
 * with its index.html, the browser's router picks the page), and the session the console calls
 * the admin API with. Nothing but the sign-in page answers without a live session.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type AdminGuard, adminErrors, adminScope, adminSecurity } from '../platform/http/admin.js';
import { type HttpServer, sendServerFault } from '../platform/http/server.js';
import type { Storage } from '../platform/storage/database.js';
import { isStorageUnavailable, RETRY_AFTER_S } from '../platform/storage/unavailable.js';
import { type ConsoleAssets, loadConsoleAssets } from './assets.js';
import { cookieOf, SESSION_COOKIE } from './cookies.js';
import { CONSOLE_HEADERS } from './headers.js';
import { OperatorPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './operator-password.js';
import { type ConsoleSession, ConsoleSessions, csrfMatches } from './sessions.js';
import { sameOrigin, signInRoutes } from './sign-in.js';

export interface ConsoleDeps {
  storage: Pick<Storage, 'db'>;
  guard: AdminGuard;
  /** The built console; loaded from dist/console-web when not given. */
  assets?: ConsoleAssets | null;
}

export interface Console {
  sessions: ConsoleSessions;
  password: OperatorPassword;
}

export async function mountConsole(app: HttpServer, deps: ConsoleDeps): Promise<Console> {
  const sessions = new ConsoleSessions(deps.storage, deps.guard.fingerprint('console-session'));
  const password = new OperatorPassword(deps.storage);
  const assets = deps.assets === undefined ? loadConsoleAssets() : deps.assets;
  const sessionOf = async (request: FastifyRequest): Promise<ConsoleSession | null> => {
    const id = cookieOf(request, SESSION_COOKIE);
    return id ? sessions.find(id) : null;
  };
  deps.guard.acceptSessions(async (request) => {
    const session = await sessionOf(request);
    if (!session) return 'none';
    return sameOrigin(request) && csrfMatches(session, request.headers['x-csrf-token']) ? 'change' : 'read';
  });

  app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(CONSOLE_HEADERS).redirect('/console/', 308),
  );
  await app.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        for (const [name, value] of Object.entries(CONSOLE_HEADERS)) {
          if (!reply.hasHeader(name)) reply.header(name, value);
        }
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        return payload;
      });
      // The database down: a page a person can read, with Retry-After, instead of JSON.
      scope.setErrorHandler((error: Error, request, reply) => {
        if (!isStorageUnavailable(error)) return sendServerFault(error, request, reply, 'console request failed');
        request.log.warn({ code: (error as { code?: string }).code }, 'console: database unavailable');
        return reply
          .status(503)
          .header('retry-after', String(RETRY_AFTER_S))
          .type('text/plain; charset=utf-8')
          .send('The database is unavailable right now; Domus retries by itself. Try again in a few seconds.\n');
      });
      signInRoutes(scope, { guard: deps.guard, sessions, password });

      scope.get('/session', { schema: { hide: true } }, async (request, reply) => {
        const session = await sessionOf(request);
        if (!session) return unauthorized(reply);
        return {
          csrfToken: session.csrfToken,
          credential: session.credential,
          expiresAt: new Date(session.expiresAt).toISOString(),
        };
      });
      scope.get('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
        if (!(await sessionOf(request))) return unauthorized(reply);
        const file = assets?.files.get((request.params as { name: string }).name);
        if (!file) return reply.status(404).send({ error: { code: 'not_found', message: 'no such console file' } });
        // Names carry a content hash: a new build has new names.
        return reply
          .header('cache-control', 'private, max-age=31536000, immutable')
          .type(file.contentType)
          .send(file.body);
      });
      scope.get('/*', { schema: { hide: true } }, async (request, reply) => {
        if (!(await sessionOf(request))) return reply.redirect('/console/sign-in', 303);
        if (!assets) {
          return reply
            .status(503)
            .type('text/plain; charset=utf-8')
            .send('The console is not built: run "npm run build" (npm install does it).\n');
        }
        return reply.type('text/html; charset=utf-8').send(assets.index);
      });
    },
    { prefix: '/console' },
  );
  await app.register(async (scope) => passwordRoutes(scope, { guard: deps.guard, sessions, password }), {
    prefix: '/admin/v1',
  });
  return { sessions, password };
}

function unauthorized(reply: FastifyReply) {
  return reply.status(401).send({ error: { code: 'unauthorized', message: 'sign in to the console first' } });
}

/** `/admin/v1/console/password`: whether an operator password is set, set it, clear it. */
async function passwordRoutes(
  app: HttpServer,
  deps: { guard: AdminGuard; sessions: ConsoleSessions; password: OperatorPassword },
): Promise<void> {
  adminScope(app, deps.guard);
  const tags = ['admin: console'];
  const security = adminSecurity;
  const State = Type.Object({ set: Type.Boolean() });
  app.get('/console/password', { schema: { tags, security, response: { 200: State, ...adminErrors } } }, async () => ({
    set: await deps.password.isSet(),
  }));
  app.put(
    '/console/password',
    {
      schema: {
        tags,
        security,
        summary: "set the console's operator password; ends the sessions the previous one signed in",
        body: Type.Object(
          { password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }) },
          { additionalProperties: false },
        ),
        response: { 200: State, ...adminErrors },
      },
    },
    async (request) => {
      await deps.password.set(request.body.password);
      await deps.sessions.endAll('password');
      return { set: true };
    },
  );
  app.delete(
    '/console/password',
    {
      schema: {
        tags,
        security,
        summary: 'remove the operator password (only the admin token signs in) and end its sessions',
        response: { 200: State, ...adminErrors },
      },
    },
    async () => {
      await deps.password.clear();
      await deps.sessions.endAll('password');
      return { set: false };
    },
  );
}
