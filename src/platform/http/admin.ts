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
 *
 * The operator console (src/console/) calls the same API with its session cookie instead of the
 * token: the guard asks the console's `SessionCheck`, and a change (any method but GET and HEAD)
 * must also carry the session's CSRF token, else 403.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { clientKey, type Throttle, type ThrottleDecision } from '../limits/throttle.js';
import { type HttpServer, sendServerFault } from './server.js';

/**
 * A refused operator request: `{ error: { code, message, field? } }` with this status; `field`
 * names the body field at fault (dotted, `connection.issuer`), so a form can show the message
 * next to it.
 */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: 'invalid_request' | 'not_found' | 'conflict',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const AdminErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String({ description: 'the body field at fault, dotted (connection.issuer)' })),
  }),
});
export const adminErrors = {
  400: AdminErrorBody,
  401: AdminErrorBody,
  403: AdminErrorBody,
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

/**
 * What a request's console session allows: nothing (no live session), reading, or also changing
 * (it carries the session's CSRF token).
 */
export type SessionCheck = (request: FastifyRequest) => Promise<'none' | 'read' | 'change'>;

/** The admin token and the limit on wrong ones; one per server, shared by every module's admin routes. */
export class AdminGuard {
  readonly #expected: Buffer;
  #sessions: SessionCheck | null = null;

  constructor(
    adminToken: string,
    /** Wrong tokens per client address, or null when unlimited. */
    private readonly failures: Throttle | null,
  ) {
    this.#expected = digest(adminToken);
  }

  /** Lets console sessions in (src/console/), besides the token. */
  acceptSessions(check: SessionCheck): void {
    this.#sessions = check;
  }

  /**
   * A fingerprint of the admin token for `purpose`: equal while the token is, and telling nothing
   * of it (a hash of its hash). The console marks its sessions with it, so a new token ends them.
   */
  fingerprint(purpose: string): string {
    return createHash('sha256').update(`${purpose}\n`).update(this.#expected).digest('base64url').slice(0, 22);
  }

  /** Whether `given` is the admin token, in constant time. */
  isAdminToken(given: string): boolean {
    return given !== '' && timingSafeEqual(digest(given), this.#expected);
  }

  /**
   * Counts a credential attempt of `ip` (the token here, the console's sign-in form) against the
   * limit: a wrong one takes from the bucket, a right one only looks. Answers the refusal when
   * the address is over the limit, else null.
   */
  async limitAttempt(ip: string, right: boolean): Promise<ThrottleDecision | null> {
    if (!this.failures) return null;
    const key = clientKey(ip);
    const decision = right ? await this.failures.peek(key) : await this.failures.take(key);
    return decision.allowed ? null : decision;
  }

  /** The onRequest hook of an admin scope. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const right = this.isAdminToken(given);
    if (given !== '') {
      const refused = await this.limitAttempt(request.ip, right);
      if (refused) return tooManyAttempts(reply, refused);
    } else if (this.#sessions) {
      const access = await this.#sessions(request);
      if (access === 'change' || (access === 'read' && (request.method === 'GET' || request.method === 'HEAD'))) return;
      if (access === 'read') {
        return reply
          .status(403)
          .send({ error: { code: 'forbidden', message: 'a change from the console needs its X-CSRF-Token header' } });
      }
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
    .send({ error: { code: 'too_many_requests', message: 'too many wrong admin credentials from this address' } });
}

/** Guards a plugin scope with the admin token and renders its errors. */
export function adminScope(app: HttpServer, guard: AdminGuard): void {
  app.addHook('onRequest', guard.check);
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof AdminError) {
      const field = error.field === undefined ? {} : { field: error.field };
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, ...field } });
    }
    if (error.validation || (error.statusCode !== undefined && error.statusCode < 500)) {
      const field = fieldOf(error as FastifyValidationError);
      return reply
        .status(400)
        .send({ error: { code: 'invalid_request', message: error.message, ...(field ? { field } : {}) } });
    }
    return sendServerFault(error, request, reply, 'admin request failed');
  });
}

type FastifyValidationError = Error & {
  validation?: { instancePath: string; params?: { missingProperty?: string; additionalProperty?: string } }[];
  validationContext?: string;
};

/** The body field a schema validation failed on, dotted, or undefined (not the body, or its root). */
function fieldOf(error: FastifyValidationError): string | undefined {
  const first = error.validation?.[0];
  if (!first || error.validationContext !== 'body') return undefined;
  const path = first.instancePath.split('/').filter((part) => part !== '');
  const leaf = first.params?.missingProperty ?? first.params?.additionalProperty;
  if (leaf !== undefined) path.push(leaf);
  return path.length > 0 ? path.join('.') : undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
