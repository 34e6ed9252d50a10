/**
 * What the entitlement API answers for a request no route takes (docs/entitlement-api.md, "Refused
 * input"), installed as the not-found handler of the /api/v2 and /o prefixes:
 *
 * - a path some route serves with other methods: `OPTIONS` → 204 with `Allow` (and the CORS
 *   preflight headers for an allowed origin); any other method → 405 with `Allow`;
 * - a path no route serves: 404.
 *
 * Both errors are rendered by the prefix, in its own error shape (issue 9).
 *
 * Routes are found in fastify's own router. A prefix's not-found handler is itself a wildcard
 * route there (its match has a `*` parameter), which is how it is told apart from real routes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../../platform/http/server.js';
import { preflightHeaders } from './cors.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods routes serve `path` with (OPTIONS added when any), in a stable order. */
export function allowedMethods(app: HttpServer, path: string): string[] {
  const allowed = METHODS.filter((method) => {
    const route = app.findRoute({ method, url: path });
    return route !== null && !('*' in (route.params as Record<string, unknown>));
  });
  return allowed.length > 0 ? [...allowed, 'OPTIONS'] : [];
}

/**
 * A not-found handler for a prefix scope; `render` makes the body of its 404 (no route) and 405
 * (`allowed` lists the path's methods) in the scope's error shape.
 */
export function notFoundHandler(
  app: HttpServer,
  render: (request: FastifyRequest, status: 404 | 405, allowed: string[]) => unknown,
) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(app, path);
    if (allowed.length === 0) return reply.status(404).send(render(request, 404, allowed));
    reply.header('allow', allowed.join(', '));
    if (request.method === 'OPTIONS') {
      preflightHeaders(request, reply, allowed);
      return reply.status(204).send();
    }
    return reply.status(405).send(render(request, 405, allowed));
  };
}
