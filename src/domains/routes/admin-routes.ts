/** Operator routes of the domain server under /admin/v1 (docs/domain-server.md, "Admin API"). */
import { Type } from 'typebox';
import { type AdminGuard, adminErrors, adminScope, adminSecurity, Nullable } from '../../platform/http/admin.js';
import type { HttpServer } from '../../platform/http/server.js';
import type { DomainAdmin } from '../admin.js';
import { EVENT_KINDS } from '../events.js';

const Mode = Type.Union([Type.Literal('anonymous'), Type.Literal('identity')]);
const DomainParams = Type.Object({ mode: Mode, name: Type.String({ minLength: 1, maxLength: 512 }) });

/** Ten years: the longest period, eviction delay or key retention a policy takes. */
const TEN_YEARS_S = 315_360_000;

const RemovalLimit = Type.Object(
  {
    removals: Type.Integer({ minimum: 1, maximum: 1000, description: 'removals of other members allowed' }),
    periodSeconds: Type.Integer({ minimum: 60, maximum: TEN_YEARS_S, description: 'per this sliding period' }),
  },
  { additionalProperties: false },
);

const Policy = Type.Object({
  authRequired: Type.Boolean(),
  authNamespace: Nullable(Type.String()),
  maxMembership: Nullable(Type.Integer()),
  disabled: Type.Boolean(),
  removalLimit: Nullable(RemovalLimit),
  evictAfterSeconds: Nullable(Type.Integer()),
  keyRetentionSeconds: Nullable(Type.Integer()),
});

const DomainDetails = Type.Object({
  mode: Mode,
  name: Type.String(),
  serverUrl: Type.String(),
  policy: Policy,
  members: Type.Integer(),
  suspended: Type.Boolean(),
  keyRolloverRequired: Type.Boolean(),
  keyVersions: Type.Array(Type.Object({ version: Type.Integer(), createdAt: Type.String({ format: 'date-time' }) })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** docs/domain-server.md, "Events". */
const DomainEvent = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.String({ enum: [...EVENT_KINDS] }),
  actor: Type.Union([
    Type.Object({ kind: Type.Literal('device'), guid: Type.String() }),
    Type.Object({ kind: Type.Literal('operator') }),
  ]),
  subject: Nullable(Type.String({ description: 'the machine GUID the change is about' })),
  keyVersion: Nullable(Type.Integer()),
  detail: Nullable(Type.Object({}, { additionalProperties: true })),
});

const PolicyInput = Type.Object(
  {
    authRequired: Type.Optional(Type.Boolean()),
    authNamespace: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    maxMembership: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
    disabled: Type.Optional(Type.Boolean()),
    removalLimit: Type.Optional(Nullable(RemovalLimit)),
    evictAfterSeconds: Type.Optional(
      Nullable(Type.Integer({ minimum: 3600, maximum: TEN_YEARS_S, description: 'evict a member unseen this long' })),
    ),
    keyRetentionSeconds: Type.Optional(
      Nullable(
        Type.Integer({ minimum: 0, maximum: TEN_YEARS_S, description: 'deliver a superseded key version this long' }),
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * A page size, 1 to 500. Query strings are text and nothing is coerced (issue 9): the schema
 * takes only the decimal spelling, and `pageSize` reads it.
 */
const Limit = Type.Optional(
  Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: 'page size, 1 to 500' }),
);
const pageSize = (limit: string | undefined) => (limit === undefined ? undefined : Number(limit));

const { 409: _conflict, ...errors } = adminErrors;
const tags = ['admin: domains'];
const security = adminSecurity;

export async function adminRoutes(app: HttpServer, deps: { admin: DomainAdmin; guard: AdminGuard }): Promise<void> {
  const { admin } = deps;
  adminScope(app, deps.guard);

  app.get(
    '/domains',
    {
      schema: {
        tags,
        security,
        summary: 'list domains',
        querystring: Type.Object({
          mode: Type.Optional(Mode),
          q: Type.Optional(Type.String({ maxLength: 512, description: 'part of the name' })),
          member: Type.Optional(
            Type.String({ minLength: 1, maxLength: 64, description: 'a machine GUID: the domains it is a member of' }),
          ),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Limit,
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                mode: Mode,
                name: Type.String(),
                members: Type.Integer(),
                maxMembership: Nullable(Type.Integer()),
                disabled: Type.Boolean(),
              }),
            ),
            nextCursor: Nullable(Type.String()),
          }),
          ...errors,
        },
      },
    },
    async (request) => admin.list({ ...request.query, limit: pageSize(request.query.limit) }),
  );

  app.get(
    '/domains/:mode/:name',
    {
      schema: {
        tags,
        security,
        summary: 'a domain: policy, member count, key versions',
        params: DomainParams,
        response: { 200: DomainDetails, ...errors },
      },
    },
    async (request) => admin.get(request.params.mode, request.params.name),
  );

  app.put(
    '/domains/:mode/:name',
    {
      schema: {
        tags,
        security,
        summary: 'create a domain or change its policy (fields left out keep their value)',
        params: DomainParams,
        body: PolicyInput,
        response: { 200: DomainDetails, 201: DomainDetails, ...errors },
      },
    },
    async (request, reply) => {
      const { created, domain } = await admin.put(request.params.mode, request.params.name, request.body);
      return reply.status(created ? 201 : 200).send(domain);
    },
  );

  app.get(
    '/domains/:mode/:name/members',
    {
      schema: {
        tags,
        security,
        summary: 'members of a domain: one entry per registration (machine GUID)',
        params: DomainParams,
        querystring: Type.Object({
          cursor: Type.Optional(Type.String({ maxLength: 256 })),
          limit: Limit,
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                guid: Type.String(),
                label: Nullable(Type.String({ description: 'what the device called itself at join; not trusted' })),
                machine: Type.Object({ slot: Type.Integer(), components: Type.Array(Type.String()) }),
                firstSeen: Type.String({ format: 'date-time' }),
                lastSeen: Type.String({ format: 'date-time' }),
              }),
            ),
            nextCursor: Nullable(Type.String()),
          }),
          ...errors,
        },
      },
    },
    async (request) =>
      admin.members(request.params.mode, request.params.name, request.query.cursor, pageSize(request.query.limit)),
  );

  app.get(
    '/domains/:mode/:name/events',
    {
      schema: {
        tags,
        security,
        summary: 'membership changes of a domain, newest first, with who made them (kept for the retention)',
        params: DomainParams,
        querystring: Type.Object({
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Limit,
        }),
        response: {
          200: Type.Object({ items: Type.Array(DomainEvent), nextCursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) =>
      admin.events(request.params.mode, request.params.name, request.query.cursor, pageSize(request.query.limit)),
  );

  app.delete(
    '/domains/:mode/:name/members/:guid',
    {
      schema: {
        tags,
        security,
        summary: 'remove a member registration, as a committed leave would',
        params: Type.Object({ ...DomainParams.properties, guid: Type.String({ maxLength: 64 }) }),
        response: { 200: Type.Object({ removed: Type.Literal(true), machineReleased: Type.Boolean() }), ...errors },
      },
    },
    async (request) => ({
      removed: true as const,
      ...(await admin.removeMember(request.params.mode, request.params.name, request.params.guid)),
    }),
  );

  app.post(
    '/domains/:mode/:name/rollover',
    {
      schema: {
        tags,
        security,
        summary: 'force a key rollover: the next join generates a new key version',
        params: DomainParams,
        response: { 200: DomainDetails, ...errors },
      },
    },
    async (request) => admin.rollover(request.params.mode, request.params.name),
  );

  app.post(
    '/domains/:mode/:name/suspend',
    {
      schema: {
        tags,
        security,
        summary: 'suspend a domain: joins and removals are refused (DOM_SUSPENDED), leaves still work',
        params: DomainParams,
        body: Type.Object(
          { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
          { additionalProperties: false, description: 'optional; recorded in the `suspended` event' },
        ),
        response: { 200: DomainDetails, ...errors },
      },
      // The body is optional: none at all is an empty one (a JSON null is still refused).
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    async (request) => admin.suspend(request.params.mode, request.params.name, true, request.body.reason),
  );

  app.post(
    '/domains/:mode/:name/resume',
    {
      schema: {
        tags,
        security,
        summary: 'resume a suspended domain',
        params: DomainParams,
        response: { 200: DomainDetails, ...errors },
      },
    },
    async (request) => admin.suspend(request.params.mode, request.params.name, false),
  );

  app.post(
    '/domains/:mode/:name/removals/reset',
    {
      schema: {
        tags,
        security,
        summary: "reset the domain's removal limit: the removals counted so far are forgotten",
        params: DomainParams,
        response: { 200: Type.Object({ forgotten: Type.Integer() }), ...errors },
      },
    },
    async (request) => admin.resetRemovals(request.params.mode, request.params.name),
  );
}
