/**
 * What every module's operator routes share: the bearer-token guard (without the right token,
 * 401 and nothing else), one error type and its rendering, and schema helpers.
 *
 * The guard limits wrong tokens per client address (DOMUS_ADMIN_AUTH_LIMIT, a token bucket in
 * the database shared by every process): past the limit every request of that address that
 * carries a token is answered 429 until the bucket refills, the right token included. Checking
 * the token of a blocked address would let the guessing go on at full speed, the 429 then merely
 * standing for "wrong" and anything else for "right". A right token is never counted, and a
 * request without a token is no guess: 401 as ever.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { clientKey, type Throttle, type ThrottleDecision } from '../limits/throttle.js';
import { type HttpServer, sendServerFault } from './server.js';

/** A refused operator request: `{ error: { code, message } }` with this status. */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: 'invalid_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

export const AdminErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
export const adminErrors = {
  400: AdminErrorBody,
  401: AdminErrorBody,
  404: AdminErrorBody,
  409: AdminErrorBody,
  429: AdminErrorBody,
  503: AdminErrorBody,
};
export const adminSecurity = [{ adminToken: [] }];

/**
 * `T | null` as one JSON Schema type list. (An anyOf changed valid input while fastify coerced
 * types: a null became 0, and maxMembership null = unlimited was stored as 0. Nothing is coerced
 * any more (platform/http/server.ts); the type list stays the plainest spelling.)
 */
export const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

/** The admin token and the limit on wrong ones; one per server, shared by every module's admin routes. */
export class AdminGuard {
  readonly #expected: Buffer;

  constructor(
    adminToken: string,
    /** Wrong tokens per client address, or null when unlimited. */
    private readonly failures: Throttle | null,
  ) {
    this.#expected = digest(adminToken);
  }

  /** The onRequest hook of an admin scope. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const right = given !== '' && timingSafeEqual(digest(given), this.#expected);
    if (given !== '' && this.failures) {
      const key = clientKey(request.ip);
      const decision = right ? await this.failures.peek(key) : await this.failures.take(key);
      if (!decision.allowed) return tooManyAttempts(reply, decision);
    }
    if (!right) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .status(401)
        .send({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
    }
  };

  /** Deletes the buckets that are full again; answers how many. */
  purge(): Promise<number> {
    return this.failures ? this.failures.purge() : Promise.resolve(0);
  }
}

function tooManyAttempts(reply: FastifyReply, decision: ThrottleDecision) {
  return reply
    .status(429)
    .header('retry-after', String(decision.retryAfterS))
    .send({ error: { code: 'too_many_requests', message: 'too many wrong admin tokens from this address' } });
}

/** Guards a plugin scope with the admin token and renders its errors. */
export function adminScope(app: HttpServer, guard: AdminGuard): void {
  app.addHook('onRequest', guard.check);
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof AdminError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation || (error.statusCode !== undefined && error.statusCode < 500)) {
      return reply.status(400).send({ error: { code: 'invalid_request', message: error.message } });
    }
    return sendServerFault(error, request, reply, 'admin request failed');
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();
