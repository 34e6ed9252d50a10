/**
 * The admin API's household view under /admin/v1 (docs/entitlement-api.md, "Household view"): a
 * pay-TV household's profiles at each MVPD beside the members of its identity domain, what the
 * operator console shows for a support call.
 */
import { Type } from 'typebox';
import { type AdminGuard, adminErrors, adminScope, adminSecurity, Nullable } from '../../platform/http/admin.js';
import type { HttpServer } from '../../platform/http/server.js';
import type { HouseholdView } from '../household/household-view.js';
import { MAX_HOUSEHOLD_ID } from '../household/household-view.js';
import { Id } from './operator-schemas.js';

const DateTime = Type.String({ format: 'date-time' });

const HouseholdProfile = Type.Object({
  serviceProvider: Type.String(),
  deviceId: Type.String({ description: 'the canonical device identifier the profile is keyed by' }),
  clientId: Type.String({ description: 'the client registration that signed in' }),
  notBefore: DateTime,
  notAfter: DateTime,
});

const HouseholdDomain = Type.Object({
  mode: Type.Literal('identity'),
  name: Type.String({ description: '{MVPD authNamespace}:{household, "%" and ":" escaped}' }),
  exists: Type.Boolean({ description: 'whether a device of the household has joined it yet' }),
  memberCount: Type.Integer(),
  members: Type.Array(
    Type.Object({
      guid: Type.String(),
      label: Nullable(Type.String({ description: 'what the device called itself at join; not trusted' })),
      firstSeen: DateTime,
      lastSeen: DateTime,
    }),
  ),
  nextCursor: Nullable(
    Type.String({ description: 'the cursor of the next page at GET /admin/v1/domains/identity/{name}/members' }),
  ),
});

const HouseholdAnswer = Type.Object({
  householdId: Type.String(),
  mvpds: Type.Array(
    Type.Object({
      mvpd: Type.String(),
      displayName: Type.String(),
      profiles: Type.Array(HouseholdProfile, { description: 'current profiles, newest first, at most 100' }),
      domain: HouseholdDomain,
    }),
    { description: 'the MVPDs where the household has a current profile or an identity domain' },
  ),
});

export async function householdViewRoutes(
  app: HttpServer,
  deps: { view: HouseholdView; guard: AdminGuard },
): Promise<void> {
  adminScope(app, deps.guard);
  app.get(
    '/households/:householdId',
    {
      schema: {
        tags: ['admin: households'],
        security: adminSecurity,
        summary: "a pay-TV household's profiles and identity-domain members, per MVPD",
        params: Type.Object({
          householdId: Type.String({
            minLength: 1,
            maxLength: MAX_HOUSEHOLD_ID,
            description: "the MVPD's household id, or its user id when it sends none; no control characters",
          }),
        }),
        querystring: Type.Object({ mvpd: Type.Optional(Id) }),
        response: { 200: HouseholdAnswer, ...adminErrors },
      },
    },
    async (request) => deps.view.get(request.params.householdId, request.query.mvpd),
  );
}
