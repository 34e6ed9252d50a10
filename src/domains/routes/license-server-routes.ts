/**
 * The license-server view under /license-server/v1 (docs/license-servers.md): read-only, on the
 * public listener, opened by a DOMUS_LICENSE_SERVER_TOKEN bearer token and by nothing else (the
 * admin token does not open it, and its tokens do not open the admin API). Without a token
 * configured, every request is 401. Errors have the admin API's shape.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AdminError, adminErrors, Nullable } from '../../platform/http/admin.js';
import { type HttpServer, sendServerFault } from '../../platform/http/server.js';
import type { Storage } from '../../platform/storage/database.js';
import { licenseServerView } from '../license-server.js';

const SCHEME = 'licenseServerToken';
const tags = ['license server'];
const security = [{ [SCHEME]: [] }];

const Mode = Type.Union([Type.Literal('anonymous'), Type.Literal('identity')]);
const DomainParams = Type.Object({ mode: Mode, name: Type.String({ minLength: 1, maxLength: 512 }) });

const KeyVersion = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  createdAt: Type.String({ format: 'date-time' }),
  supersededAt: Nullable(
    Type.String({ format: 'date-time', description: "the next version's createdAt; null for the current version" }),
  ),
  certificate: Nullable(
    Type.String({ description: "the version's certificate (base64 DER) while valid; null when none is valid now" }),
  ),
  certificateNotAfter: Nullable(Type.String({ format: 'date-time' })),
});

const View = Type.Object({
  mode: Mode,
  name: Type.String(),
  serverUrl: Type.String({ description: "the domain server URL, as in the certificates' subjectAltName" }),
  currentKeyVersion: Type.Integer({ description: 'bind new licenses to this version only' }),
  oldestKeyVersion: Type.Integer({ description: 'the oldest version members that join now still receive' }),
  rolloverPending: Type.Boolean({
    description:
      'a member left or was removed: the next join makes a new version; until then a departed machine holds the current one',
  }),
  keyVersions: Type.Array(KeyVersion, { description: 'the versions still delivered, ascending' }),
});

const { 401: unauthorized, 404: notFound, 503: unavailable } = adminErrors;

/** Bearer tokens, any of which opens the view; compared in constant time. */
export class LicenseServerGuard {
  readonly #expected: Buffer[];

  constructor(tokens: readonly string[]) {
    this.#expected = tokens.map(digest);
  }

  /** The onRequest hook of the view's scope. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const candidate = digest(given);
    // Every configured token is compared, so the time taken does not tell which one matched.
    let right = false;
    for (const expected of this.#expected) right = timingSafeEqual(candidate, expected) || right;
    if (given === '' || !right) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .status(401)
        .send({ error: { code: 'unauthorized', message: 'a valid license-server bearer token is required' } });
    }
  };
}

export async function licenseServerRoutes(
  app: HttpServer,
  deps: { storage: Storage; publicRoot: () => string; tokens: readonly string[] },
): Promise<void> {
  app.addHook('onRequest', new LicenseServerGuard(deps.tokens).check);
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof AdminError) {
      return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation || (error.statusCode !== undefined && error.statusCode < 500)) {
      return reply.status(400).send({ error: { code: 'invalid_request', message: error.message } });
    }
    return sendServerFault(error, request, reply, 'license-server request failed');
  });

  app.get(
    '/domains/:mode/:name',
    {
      schema: {
        tags,
        security,
        summary: 'a domain as a license server binds to it: current and oldest delivered key versions',
        params: DomainParams,
        response: { 200: View, 400: adminErrors[400], 401: unauthorized, 404: notFound, 503: unavailable },
      },
    },
    async (request) => licenseServerView(deps.storage.db, deps.publicRoot(), request.params.mode, request.params.name),
  );
}

const digest = (value: string) => createHash('sha256').update(value).digest();
