/**
 * The HTTP edge of the entitlement API: one plugin scope holding everything apps call, with
 *
 *   edge                  CORS, then the throttle (onRequest); enhanced errors
 *   ├─ /o                 OAuth errors, 404 / 405 / preflight  → DCR routes
 *   └─ /api/v2            404 / 405 / preflight
 *      ├─ public          routes a browser opens without a token (authenticate, logout round trips)
 *      └─ authenticated   access token + service provider (request-context.ts) → configuration, …
 *
 * Later endpoints mount by being listed in module.ts; they get the checks of their scope.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../../platform/http/server.js';
import { clientKey, type Throttle } from '../../platform/limits/throttle.js';
import type { Activity } from '../../platform/ops/activity.js';
import { type CorsOrigins, corsHook } from './cors.js';
import { domusError, enhancedErrorHandler } from './enhanced-errors.js';
import { errorCountHook } from './error-counts.js';
import { notFoundHandler } from './methods.js';
import { oauthErrorHandler } from './oauth.js';
import { type RequestContextDeps, requestContextHook } from './request-context.js';

export type RoutePlugin = (scope: HttpServer) => Promise<void> | void;

export interface PassApiParts {
  cors: CorsOrigins;
  throttle: Throttle | null;
  context: RequestContextDeps;
  /** Where error answers are counted by code (error-counts.ts). */
  activity: Pick<Activity, 'count'>;
}

export interface PassApiRoutes {
  /** Under /o. */
  dcr: RoutePlugin[];
  /** Under /api/v2, without an access token. */
  v2Public: RoutePlugin[];
  /** Under /api/v2, behind the access token and service provider checks. */
  v2Authenticated: RoutePlugin[];
}

const PURGE_INTERVAL_MS = 60_000;

export async function mountPassApi(app: HttpServer, parts: PassApiParts, routes: PassApiRoutes): Promise<void> {
  await app.register(async (edge) => {
    edge.addHook('onRequest', corsHook(parts.cors));
    if (parts.throttle) {
      edge.addHook('onRequest', throttleHook(parts.throttle));
      const throttle = parts.throttle;
      const purge = setInterval(() => {
        throttle.purge().catch((error) => edge.log.warn({ err: error }, 'purging throttle buckets failed'));
      }, PURGE_INTERVAL_MS);
      purge.unref();
      edge.addHook('onClose', async () => clearInterval(purge));
    }
    edge.setErrorHandler(enhancedErrorHandler);
    edge.addHook('onSend', errorCountHook(parts.activity));

    await edge.register(
      async (o) => {
        o.setErrorHandler(oauthErrorHandler);
        o.setNotFoundHandler(
          notFoundHandler(app, (request, status) => ({
            error: 'invalid_request',
            error_description:
              status === 404
                ? `no route for ${request.method} ${pathOf(request)}`
                : `${request.method} is not allowed here`,
          })),
        );
        for (const plugin of routes.dcr) await o.register(plugin);
      },
      { prefix: '/o' },
    );

    await edge.register(
      async (v2) => {
        v2.setNotFoundHandler(
          notFoundHandler(app, (request, status, allowed) =>
            status === 404
              ? domusError('not_found', request.id, `no route for ${request.method} ${pathOf(request)}`)
              : domusError('method_not_allowed', request.id, `use ${allowed.join(', ')}`),
          ),
        );
        for (const plugin of routes.v2Public) await v2.register(plugin);
        await v2.register(async (authenticated) => {
          authenticated.addHook('onRequest', requestContextHook(parts.context));
          for (const plugin of routes.v2Authenticated) await authenticated.register(plugin);
        });
      },
      { prefix: '/api/v2' },
    );
  });
}

const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? '';

/** onRequest hook: one token per request and client; 429 with Retry-After when none is left. */
function throttleHook(throttle: Throttle) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // A preflight is the browser's, not the app's, and must succeed for the app to see any answer.
    if (request.method === 'OPTIONS') return;
    const decision = await throttle.take(clientKey(request.ip));
    if (decision.allowed) return;
    reply.header('retry-after', String(decision.retryAfterS));
    return reply.status(429).send(domusError('too_many_requests', request.id));
  };
}
