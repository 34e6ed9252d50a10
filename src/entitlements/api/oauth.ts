/**
 * The OAuth side of the /o scope (Dynamic Client Registration, docs/entitlement-api.md, "App
 * integration"): errors in the OAuth shape `{ "error": "<code>", "error_description"? }` (HTTP 400,
 * as Adobe answers them), and a parser for form bodies (`application/x-www-form-urlencoded`, which
 * fastify lacks).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isStorageUnavailable, RETRY_AFTER_S } from '../../platform/storage/unavailable.js';
import { DcrError } from '../dcr/dcr-service.js';

export const OAuthErrorSchema = Type.Object(
  { error: Type.String(), error_description: Type.Optional(Type.String()) },
  { description: 'OAuth 2.0 error (RFC 6749 §5.2, RFC 7591 §3.2.2)' },
);

export function oauthErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof DcrError) {
    return reply.status(400).send({ error: error.code, error_description: error.message });
  }
  const statusCode = (error as FastifyError).statusCode;
  if ((error as FastifyError).validation || (statusCode !== undefined && statusCode < 500)) {
    return reply.status(400).send({ error: 'invalid_request', error_description: error.message });
  }
  if (isStorageUnavailable(error)) {
    request.log.warn({ trace: request.id }, 'client registration request failed: database unavailable');
    reply.header('retry-after', String(RETRY_AFTER_S));
    return reply
      .status(503)
      .send({ error: 'temporarily_unavailable', error_description: 'the database is unavailable; retry later' });
  }
  request.log.error({ err: error, trace: request.id }, 'client registration request failed');
  return reply.status(500).send({ error: 'server_error' });
}

/** Parses a form body; a parameter given twice becomes an array (which the route schemas refuse). */
export function parseFormBody(
  _request: FastifyRequest,
  body: string,
  done: (error: Error | null, value?: unknown) => void,
) {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const previous = result[name];
    result[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  done(null, result);
}
