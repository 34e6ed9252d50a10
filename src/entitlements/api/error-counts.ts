/**
 * Counts every error answer of the entitlement API in the shared activity counts
 * (platform/ops/activity.ts) under its code: the enhanced error's `code`, or the OAuth error's
 * `error` under /o. An onSend hook is the one place that sees them all: the error handlers', the
 * throttle's 429 and the not-found handler's 404/405. The HTML pages of the browser flows carry
 * no code and are not counted. Codes come from Domus's own fixed lists, never from the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Activity } from '../../platform/ops/activity.js';

/** Longer is not one of Domus's codes. */
const MAX_CODE_LENGTH = 64;

export function errorCountHook(activity: Pick<Activity, 'count'>) {
  return async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload;
    const code = errorCode(payload);
    if (code) activity.count('error', code);
    return payload;
  };
}

function errorCode(payload: string): string | undefined {
  try {
    const body = JSON.parse(payload) as { code?: unknown; error?: unknown };
    const code = typeof body.code === 'string' ? body.code : body.error;
    return typeof code === 'string' && code.length <= MAX_CODE_LENGTH ? code : undefined;
  } catch {
    return undefined;
  }
}
