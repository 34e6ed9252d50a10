/**
 * What every module's operator routes share: the bearer-token guard (without the right token,
 * 401 and nothing else), one error type and its rendering, and schema helpers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { isStorageUnavailable, RETRY_AFTER_S } from '../storage/unavailable.js';
import type { HttpServer } from './server.js';

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
  503: AdminErrorBody,
};
export const adminSecurity = [{ adminToken: [] }];

/**
 * `T | null` as one JSON Schema type list, which fastify's type coercion leaves alone when the
 * value has either type. An anyOf would change valid input: with `[T, Null]` a null became 0
 * (maxMembership null = unlimited was stored as 0), with `[Null, T]` a 0 would become null.
 */
export const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

/** Guards a plugin scope with the admin token and renders its errors. */
export function adminScope(app: HttpServer, adminToken: string): void {
  app.addHook('onRequest', adminGuard(adminToken));
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof AdminError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation || (error.statusCode !== undefined && error.statusCode < 500)) {
      return reply.status(400).send({ error: { code: 'invalid_request', message: error.message } });
    }
    if (isStorageUnavailable(error)) {
      request.log.warn({ code: (error as { code?: string }).code }, 'admin request failed: database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send({ error: { code: 'unavailable', message: 'the database is unavailable; retry later' } });
    }
    request.log.error({ err: error }, 'admin request failed');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal server error' } });
  });
}

function adminGuard(adminToken: string) {
  const expected = digest(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!given || !timingSafeEqual(digest(given), expected)) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .status(401)
        .send({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
    }
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
