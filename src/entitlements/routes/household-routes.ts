/**
 * `POST /api/v2/{serviceProvider}/tokens/domain/{mvpd}` (docs/entitlement-api.md, "Household domain
 * token"; Domus's own, not Adobe's): device headers required, no body. Answers `{ token, notAfter
 * }` — an auth token for the domain server's identity domain `{nq}:{household}`
 * (household/domain-tokens.ts) — or a top-level 403 `authenticated_profile_missing` / `_expired`
 * when the device has no valid profile.
 */
import { Type } from 'typebox';
import { EnhancedErrorSchema, v2ErrorResponses } from '../api/enhanced-errors.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { requestProfileKey } from '../api/profile-key.js';
import type { DomainTokenService } from '../household/domain-tokens.js';
import { V2_PARAMS, v2Security } from './v2-schemas.js';

const DomainTokenResponse = Type.Object({
  token: Type.String({ description: 'JWT for the domain server: iss domus-entitlements, sub, nq, exp' }),
  notAfter: Type.Integer({ description: 'epoch ms' }),
});

export function householdRoutes(tokens: DomainTokenService): RoutePlugin {
  return (app) => {
    app.post(
      '/:serviceProvider/tokens/domain/:mvpd',
      {
        schema: {
          tags: ['entitlement API: household'],
          summary: "an auth token for the household's identity-based DRM domain",
          security: v2Security,
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, mvpd: V2_PARAMS.mvpd }),
          headers: V2_PARAMS.optionalDeviceHeaders,
          response: { 200: DomainTokenResponse, ...v2ErrorResponses, 403: EnhancedErrorSchema },
        },
      },
      async (request) => tokens.issue(requestProfileKey(request), request.params.mvpd),
    );
  };
}
