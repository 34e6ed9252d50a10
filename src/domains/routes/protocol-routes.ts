/**
 * Device-facing routes of the domain server (docs/domain-protocol.md §2): join and leave on the v3
 * and v4 paths for identity-based (`{root}`) and anonymous (`{root}/flashaccess/domainserver/{name}`)
 * bases, individualization, the server version and the Domain CA certificate.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { HttpServer } from '../../platform/http/server.js';
import { isStorageUnavailable, RETRY_AFTER_S } from '../../platform/storage/unavailable.js';
import type { DomainCa } from '../domain-ca.js';
import type { DomainRequest, LeavePhase, Operation, ProtocolVersion, RequestVerifier } from '../envelope.js';
import { DomainError } from '../errors.js';
import { individualize } from '../individualization.js';
import { join } from '../join.js';
import { leave } from '../leave.js';
import type { DomainLimits } from '../limits.js';
import type { MachineTokens } from '../machine-tokens.js';
import { listMembers, removeMember } from '../members.js';
import type { CountedOperation } from '../metrics.js';
import { ANONYMOUS_DOMAIN_NAME, ANONYMOUS_DOMAIN_NAME_RULE, type DomainDeps, type DomainTarget } from '../policy.js';
import type { Mode } from '../records.js';
import {
  IndividualizationAnswer,
  JoinAnswer,
  JoseBody,
  LeaveAnswer,
  MembersAnswer,
  ProtocolError,
  RemoveAnswer,
  ServerVersion,
} from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Protocol version a domain route speaks, echoed in its error answers. */
    ver?: ProtocolVersion;
    /** What a domain route's answers are counted as (metrics.ts); unset = not counted. */
    counted?: { operation: Operation; mode: Mode } | { operation: 'individualize' };
  }
}

export interface ProtocolRouteDeps {
  domain: DomainDeps;
  verifier: RequestVerifier;
  machineTokens: MachineTokens;
  ca: DomainCa;
  toleranceSeconds: number;
  serverName: string;
  /** Rate limits of joins, bound to each request's machine and client address. */
  limits: DomainLimits;
}

const PATH_VERSIONS: Record<string, ProtocolVersion> = { v3: 3, v4: 5 };
/**
 * Each operation's path segment and path versions: the RI's join and leave on v3 and v4, the
 * household's members and remove (Domus's, §14–§15) on v4 only.
 */
const OPERATIONS: { segment: string; op: Operation; paths: string[] }[] = [
  { segment: 'domain', op: 'join', paths: ['v3', 'v4'] },
  { segment: 'dereg', op: 'leave', paths: ['v3', 'v4'] },
  { segment: 'members', op: 'members', paths: ['v4'] },
  { segment: 'remove', op: 'remove', paths: ['v4'] },
];
const ANSWERS = { join: JoinAnswer, leave: LeaveAnswer, members: MembersAnswer, remove: RemoveAnswer };
const EXTENSIONS = ['members', 'remove'];
const LIMITED: ReadonlySet<Operation> = new Set(['join', 'remove']);
const ERROR_RESPONSES = {
  400: ProtocolError,
  401: ProtocolError,
  403: ProtocolError,
  409: ProtocolError,
  500: ProtocolError,
  503: ProtocolError,
};

export async function protocolRoutes(app: HttpServer, deps: ProtocolRouteDeps): Promise<void> {
  const { metrics } = deps.domain;
  const operate = (op: Operation, request: DomainRequest, target: DomainTarget, ip: string) => {
    switch (op) {
      case 'join':
        return join({ ...deps.domain, limits: deps.limits.of(request.machine.guid, ip) }, request, target);
      case 'leave':
        return leave(deps.domain, request, target);
      case 'members':
        return listMembers(deps.domain, request, target);
      case 'remove':
        return removeMember(deps.domain, request, target);
    }
  };
  // The phase of each leave whose request verified: its failures count under it.
  const phases = new WeakMap<FastifyRequest, LeavePhase>();
  const operationOf = (op: Operation, phase: LeavePhase | undefined): CountedOperation =>
    op === 'leave' || op === 'remove' ? (phase ? `${op}-${phase}` : op) : op;
  /** Counts a request of a counted route: `ok` or the error name it was answered with. */
  const count = (request: FastifyRequest, outcome: string) => {
    const counted = request.routeOptions.config.counted;
    if (!counted) return;
    if (counted.operation === 'individualize') metrics.individualization(outcome);
    else metrics.operation(operationOf(counted.operation, phases.get(request)), counted.mode, outcome);
  };

  app.addSchema(ProtocolError);
  // Every body is read as text; handlers accept only application/jose.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const ver = request.routeOptions.config.ver ?? 5;
    if (error instanceof DomainError) {
      count(request, error.errorName);
      if (error.retryAfterS !== undefined) reply.header('retry-after', String(error.retryAfterS));
      return reply
        .status(error.status)
        .send({ ver, error: { code: error.code, name: error.errorName, message: error.message, ...error.details } });
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      count(request, 'REQ_MALFORMED');
      return reply
        .status(400)
        .send({ ver, error: { code: 100, name: 'REQ_MALFORMED', message: 'request body is malformed' } });
    }
    if (isStorageUnavailable(error)) {
      count(request, 'SERVER_UNAVAILABLE');
      request.log.warn({ code: (error as { code?: string }).code }, 'domain request failed: database unavailable');
      return reply
        .status(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send({
          ver,
          error: { code: 1, name: 'SERVER_UNAVAILABLE', message: 'the database is unavailable; retry later' },
        });
    }
    count(request, 'SERVER_ERROR');
    request.log.error({ err: error }, 'domain request failed');
    return reply.status(500).send({ ver, error: { code: 0, name: 'SERVER_ERROR', message: 'internal server error' } });
  });

  for (const { segment, op, paths } of OPERATIONS) {
    for (const pathVersion of paths) {
      const ver = PATH_VERSIONS[pathVersion] as ProtocolVersion;
      const schema = {
        tags: ['domain protocol'],
        consumes: ['application/jose'],
        body: JoseBody,
        // A join takes rate limits, a removal the domain's removal limit: both may answer 429.
        response: { 200: ANSWERS[op], ...ERROR_RESPONSES, ...(LIMITED.has(op) && { 429: ProtocolError }) },
      };
      const handle = (target: (request: FastifyRequest) => DomainTarget) => async (request: FastifyRequest) => {
        const domain = target(request);
        const verified = await deps.verifier.verify(joseBody(request), { ver, op });
        if (verified.phase) phases.set(request, verified.phase);
        const answer = await operate(op, verified, domain, request.ip);
        metrics.operation(operationOf(op, verified.phase), domain.mode, 'ok');
        return answer;
      };
      app.post(`/flashaccess/${segment}/${pathVersion}`, {
        config: { ver, counted: { operation: op, mode: 'identity' } },
        schema: { ...schema, summary: `${op} an identity-based domain, protocol ${ver}` },
        handler: handle(() => ({ mode: 'identity' })),
      });
      app.post(`/flashaccess/domainserver/:domainName/flashaccess/${segment}/${pathVersion}`, {
        config: { ver, counted: { operation: op, mode: 'anonymous' } },
        schema: {
          ...schema,
          summary: `${op} an anonymous domain, protocol ${ver}`,
          params: Type.Object({ domainName: Type.String() }),
        },
        handler: handle((request) => ({ mode: 'anonymous', name: anonymousName(request) })),
      });
    }
  }

  const serverVersion = async () => ({ protocolVersions: [3, 5], server: deps.serverName, extensions: EXTENSIONS });
  const versionSchema = { tags: ['domain protocol'], response: { 200: ServerVersion } };
  app.get('/flashaccess/getServerVersion/v3', { schema: versionSchema }, serverVersion);
  app.get(
    '/flashaccess/domainserver/:domainName/flashaccess/getServerVersion/v3',
    { schema: versionSchema },
    async (request) => {
      anonymousName(request);
      return serverVersion();
    },
  );

  // A path under /flashaccess no route serves (or a method none serves it with): 404, in the
  // protocol's error shape like every other answer of it (issue 9).
  app.all('/flashaccess/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0];
    const message = `no domain protocol endpoint for ${request.method} ${path}`;
    return reply.status(404).send({ ver: 5, error: { code: 100, name: 'REQ_MALFORMED', message } });
  });

  app.post(
    '/flashaccess/indiv/v1',
    {
      config: { counted: { operation: 'individualize' } },
      schema: {
        tags: ['domain protocol'],
        summary: 'individualize a device: issue a machine token',
        consumes: ['application/jose'],
        body: JoseBody,
        response: { 200: IndividualizationAnswer, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const answer = await individualize(deps.domain, deps.machineTokens, deps.toleranceSeconds, joseBody(request));
      metrics.individualization('ok');
      return answer;
    },
  );

  app.get(
    '/flashaccess/domain-ca.pem',
    { schema: { tags: ['domain protocol'], summary: 'the Domain CA certificate license servers trust' } },
    async (_request, reply: FastifyReply) => reply.type('application/x-pem-file').send(deps.ca.pem),
  );
}

function joseBody(request: FastifyRequest): string {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/jose\s*(;|$)/i.test(type)) {
    throw new DomainError('REQ_MALFORMED', 'Content-Type must be application/jose');
  }
  return request.body as string;
}

function anonymousName(request: FastifyRequest): string {
  const name = (request.params as { domainName: string }).domainName;
  if (!ANONYMOUS_DOMAIN_NAME.test(name)) {
    throw new DomainError('REQ_MALFORMED', ANONYMOUS_DOMAIN_NAME_RULE);
  }
  return name;
}
