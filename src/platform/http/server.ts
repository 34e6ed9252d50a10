/**
 * The HTTP server every module mounts its routes on: fastify with TypeBox schemas, a request
 * id on every request and response, one log line per request (secrets redacted: redact.ts), and
 * an OpenAPI document built from the route schemas at /openapi.json.
 *
 * What every route gets from the root scope (issue 9):
 * - input no route may see refused before it runs (input.ts): URLs that are not UTF-8 or hold
 *   NUL, bodies holding NUL or lone surrogates; each refusal reaches the error handler of the
 *   route's own scope, so it is answered in that wire format's error shape, and so are the URLs
 *   fastify's router cannot decode;
 * - no type coercion: a JSON `"7"` is not the integer 7, `["x"]` not the string "x" (query
 *   strings are text: a route that takes a number from one parses it itself);
 * - bodies only of the media types a scope adds a parser for (JSON by default, nothing else):
 *   any other body is refused, never ignored;
 * - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` on every answer;
 * - once the server closes (shutdown), `Connection: close` on every answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from '../logger.js';
import { isStorageUnavailable, RETRY_AFTER_S } from '../storage/unavailable.js';
import { checkBody, checkUrl, routeBadUrl, sentUrl } from './input.js';
import { loggableUrl } from './redact.js';

export type HttpServer = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  logger: Logger;
  trustedProxies: string[];
  version: string;
}

/** One log line per request, when it completes: method, URL (redacted), status, milliseconds. */
class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: loggableUrl(sentUrl(request), request.routeOptions.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A request Node's HTTP parser refuses (e.g. a control character in a header) never reaches a
 * route: answered here in the generic error shape, with fastify's statuses.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request took too long']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code: 'invalid_request', message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * A fault of the server, not of the request, in the generic error shape `{ error: { code,
 * message } }` (the admin API's too): 503 `unavailable` with Retry-After while the database is
 * away (docs/reliability.md), else a log line and 500 `internal` with nothing internal.
 */
export function sendServerFault(error: Error, request: FastifyRequest, reply: FastifyReply, what: string) {
  if (isStorageUnavailable(error)) {
    request.log.warn({ code: (error as { code?: string }).code }, `${what}: database unavailable`);
    return reply
      .status(503)
      .header('retry-after', String(RETRY_AFTER_S))
      .send({ error: { code: 'unavailable', message: 'the database is unavailable; retry later' } });
  }
  request.log.error({ err: error }, what);
  return reply.status(500).send({ error: { code: 'internal', message: 'internal server error' } });
}

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    trustProxy: options.trustedProxies.length > 0 ? options.trustedProxies : false,
    bodyLimit: 64 * 1024,
    // Path parameters are bounded by their route's schema, which refuses an over-long one in the
    // route's error shape; the router's own limit (an answer in fastify's shape, 414) is set above
    // what an HTTP request line can hold (Node: 16 KiB of headers), so it never applies.
    routerOptions: { maxParamLength: 16_384 },
    ajv: {
      customOptions: {
        // A schema's `additionalProperties: false` refuses unknown fields (fastify's default
        // silently drops them, so a misspelt field would be ignored with a success answer).
        removeAdditional: false,
        // No type coercion (fastify's default coerces): a wrong type is refused, not converted.
        coerceTypes: false,
      },
    },
    // A URL the router cannot decode is routed again, marked, to be refused by its route's scope.
    frameworkErrors: (error, request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL' && routeBadUrl(request, app.routing, reply.raw)) return;
      const status = (error.statusCode ?? 500) < 500 ? 400 : 500;
      const code = status === 400 ? 'invalid_request' : 'internal';
      (reply as FastifyReply).status(status).send({ error: { code, message: error.message } });
    },
    clientErrorHandler,
    // While closing (platform/ops/shutdown.ts), a request that still arrives on an open
    // connection is served, in its own wire format, and its connection then closed.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every scope adds the parsers of the media types it takes; fastify's text/plain goes.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  app.addHook('onRequest', checkUrl);
  app.addHook('preValidation', checkBody);
  // Once closing, every answer closes its connection: an idle keep-alive connection would keep
  // the listener open. (A callback hook: no promise per request.)
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` } });
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500 || isStorageUnavailable(error)) return sendServerFault(error, request, reply, 'request failed');
    return reply.status(status).send({ error: { code: 'invalid_request', message: error.message } });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Domus',
        version: options.version,
        description: 'Entitlement server for streaming services: DRM device domains and their operator API.',
      },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer' },
          licenseServerToken: { type: 'http', scheme: 'bearer', description: 'DOMUS_LICENSE_SERVER_TOKEN' },
          passAccessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
