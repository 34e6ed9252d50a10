/**
 * The one place that turns errors of the REST API V2 into responses (docs/entitlement-api.md,
 * "Errors"): the enhanced error object `{ action, status, code, message, details?, trace }` sent
 * top-level with HTTP status = `status`, `trace` = the request id.
 *
 * - PassError: its code, status and action.
 * - Schema validation failures: the `invalid_parameter_*` / `invalid_header_*` code of the first
 *   offending parameter or header, else Domus's `invalid_request`.
 * - Other client errors fastify raises (bad JSON, unsupported media type, body too large) and
 *   the input every route refuses (platform/http/input.ts: URLs that are not UTF-8, NUL, lone
 *   surrogates): 400 `invalid_request` with the reason.
 * - The database unavailable (a restart, a failover): 503 `service_unavailable` with Retry-After.
 * - Anything else: a log line with the trace, and 500 `internal_server_error` with nothing internal.
 *
 * Adobe's table (§9.2) names no code for five answers Domus must give, so Domus adds five,
 * documented in docs/entitlement-api.md; clients handle unknown codes by their `action`:
 * `invalid_request` (400, none), `not_found` (404, none), `method_not_allowed` (405, none),
 * `too_many_requests` (429, retry), `service_unavailable` (503, retry).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isStorageUnavailable, RETRY_AFTER_S } from '../../platform/storage/unavailable.js';
import { type EnhancedError, type ErrorAction, PassError, type PassErrorCode } from '../errors.js';

export const DOMUS_ERRORS = {
  invalid_request: [400, 'none', 'The request is malformed.'],
  not_found: [404, 'none', 'There is no resource at this path.'],
  method_not_allowed: [405, 'none', 'The HTTP method is not allowed on this resource.'],
  too_many_requests: [429, 'retry', 'Too many requests from this client; retry after the time in Retry-After.'],
  service_unavailable: [503, 'retry', 'The service is unavailable for a moment; retry after the time in Retry-After.'],
} as const satisfies Record<string, readonly [number, ErrorAction, string]>;

export type DomusErrorCode = keyof typeof DOMUS_ERRORS;

export interface EnhancedErrorBody extends Omit<EnhancedError, 'code'> {
  code: PassErrorCode | DomusErrorCode;
}

/** The response schema of an enhanced error (routes declare it for every error status they answer). */
export const EnhancedErrorSchema = Type.Object(
  {
    action: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.String()),
    helpUrl: Type.Optional(Type.String()),
    trace: Type.Optional(Type.String()),
  },
  { description: 'Adobe Pass enhanced error (docs/entitlement-api.md, "Errors")' },
);

/** Error statuses every authenticated V2 route can answer. */
export const v2ErrorResponses = {
  400: EnhancedErrorSchema,
  401: EnhancedErrorSchema,
  405: EnhancedErrorSchema,
  429: EnhancedErrorSchema,
  500: EnhancedErrorSchema,
  503: EnhancedErrorSchema,
};

/** A Domus-added error body (see the module comment). */
export function domusError(code: DomusErrorCode, trace: string, details?: string): EnhancedErrorBody {
  const [status, action, message] = DOMUS_ERRORS[code];
  return { action, status, code, message, ...(details !== undefined && { details }), trace };
}

/** Header and parameter names of the V2 API and the code that reports each missing or invalid. */
const FIELD_CODES: Record<string, PassErrorCode> = {
  serviceprovider: 'invalid_parameter_service_provider',
  mvpd: 'invalid_parameter_mvpd',
  code: 'invalid_parameter_code',
  resources: 'invalid_parameter_resources',
  redirecturl: 'invalid_parameter_redirect_url',
  partner: 'invalid_parameter_partner',
  samlresponse: 'invalid_parameter_saml_response',
  'x-device-info': 'invalid_header_device_info',
  'ap-device-identifier': 'invalid_header_device_identifier',
  'ap-temppass-identity': 'invalid_header_identity_for_temporary_access',
};

interface SchemaError {
  instancePath?: string;
  params?: { missingProperty?: string };
}

/** The enhanced error for a failed schema validation. */
export function validationError(
  error: { validation: SchemaError[]; message: string },
  trace: string,
): EnhancedErrorBody {
  for (const failure of error.validation) {
    const field = failure.params?.missingProperty ?? failure.instancePath?.split('/')[1] ?? '';
    const code = FIELD_CODES[field.toLowerCase()];
    if (code) return new PassError(code).toBody(trace) as EnhancedErrorBody;
  }
  return domusError('invalid_request', trace, error.message);
}

/** Error handler of the V2 scopes. */
export function enhancedErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const body = enhancedErrorBody(error, request);
  if (body.status === 503) reply.header('retry-after', String(RETRY_AFTER_S));
  return reply.status(body.status).send(body);
}

export function enhancedErrorBody(error: FastifyError | Error, request: FastifyRequest): EnhancedErrorBody {
  if (error instanceof PassError) return error.toBody(request.id) as EnhancedErrorBody;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return validationError(fastifyError as Required<FastifyError>, request.id);
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode < 500) {
    return domusError('invalid_request', request.id, error.message);
  }
  if (isStorageUnavailable(error)) {
    request.log.warn({ trace: request.id }, 'entitlement API request failed: database unavailable');
    return domusError('service_unavailable', request.id);
  }
  request.log.error({ err: error, trace: request.id }, 'entitlement API request failed');
  return new PassError('internal_server_error').toBody(request.id) as EnhancedErrorBody;
}
