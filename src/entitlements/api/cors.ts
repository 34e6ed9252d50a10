/**
 * CORS of the entitlement API (docs/entitlement-api.md, "Browser apps (CORS)"). Browser apps call
 * the API cross-origin, so:
 *
 * - a response to a request with an `Origin` whose host is among the redirect domains of some
 *   registered application carries `Access-Control-Allow-Origin: <that origin>` (and `Vary:
 *   Origin`); other origins get no CORS headers, and the browser withholds the answer;
 * - preflight requests are answered (api/methods.ts) with the path's methods and the V2
 *   request headers.
 *
 * No credentials (cookies) are allowed: the API authenticates with bearer tokens. The set of
 * allowed hosts comes from the operator store's shared cache, so an operator's change takes
 * effect in every process as soon as it commits.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAllowedRedirect } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';

/** Request headers a V2 client may send (Adobe's REST API V2 header matrix). */
export const V2_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'AP-Device-Identifier',
  'X-Device-Info',
  'AP-Visitor-Identifier',
  'AP-Partner-Framework-Status',
  'AP-TempPass-Identity',
  'Adobe-Subject-Token',
  'AD-Service-Token',
  'X-Roku-Reserved-Roku-Connect-Token',
  'X-Request-Id',
];
/** Response headers a browser app may read besides the safelisted ones. */
const EXPOSED_HEADERS = ['Retry-After', 'X-Request-Id', 'Allow'];
const PREFLIGHT_MAX_AGE_S = 600;

export class CorsOrigins {
  constructor(private readonly store: OperatorStore) {}

  /** True when `origin` (scheme://host[:port]) is on a registered application's redirect domain. */
  async allows(origin: string): Promise<boolean> {
    if (origin === 'null' || origin.length > 2048) return false;
    return isAllowedRedirect(origin, await this.store.redirectDomains());
  }
}

/** onRequest hook: the CORS response headers of an allowed origin, on every answer (errors included). */
export function corsHook(origins: CorsOrigins) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return;
    reply.header('vary', 'Origin');
    if (!(await origins.allows(origin))) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
  };
}

/** Adds the preflight headers to a reply whose origin was allowed by corsHook. */
export function preflightHeaders(request: FastifyRequest, reply: FastifyReply, methods: string[]): void {
  if (!reply.hasHeader('access-control-allow-origin')) return;
  if (typeof request.headers['access-control-request-method'] !== 'string') return;
  reply.header('access-control-allow-methods', methods.join(', '));
  reply.header('access-control-allow-headers', V2_REQUEST_HEADERS.join(', '));
  reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
}
