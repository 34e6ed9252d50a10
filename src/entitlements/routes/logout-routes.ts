/**
 * `GET /api/v2/{serviceProvider}/logout/{mvpd}?redirectUrl=…` (docs/entitlement-api.md, "Logout";
 * the rules are in logout/logout-service.ts): device headers and `redirectUrl` required. Answers
 * HTTP 200 `{ logouts: { <mvpd>: { mvpd, actionName, actionType, url? } } }`; the profile is
 * already deleted when the answer is sent.
 */
import { Type } from 'typebox';
import { v2ErrorResponses } from '../api/enhanced-errors.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { requestProfileKey } from '../api/profile-key.js';
import { passContext } from '../api/request-context.js';
import type { LogoutService } from '../logout/logout-service.js';
import { V2_PARAMS, v2Security } from './v2-schemas.js';

const MvpdLogout = Type.Object({
  mvpd: Type.String(),
  actionName: Type.String({ description: 'logout | complete | invalid' }),
  actionType: Type.String({ description: 'interactive (with logout) | none' }),
  url: Type.Optional(Type.String({ description: 'absolute; open it in a user agent (logout/interactive only)' })),
});

const LogoutResponse = Type.Object({ logouts: Type.Record(Type.String(), MvpdLogout) });

export function logoutRoutes(logouts: LogoutService): RoutePlugin {
  return (app) => {
    app.get(
      '/:serviceProvider/logout/:mvpd',
      {
        schema: {
          tags: ['entitlement API: logout'],
          summary: "deletes this device's profile for the MVPD and says how to end the MVPD's session",
          security: v2Security,
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, mvpd: V2_PARAMS.mvpd }),
          querystring: Type.Object({
            redirectUrl: Type.String({
              minLength: 1,
              maxLength: 2048,
              description: "where the user agent ends up; on the application's redirect domains",
            }),
          }),
          headers: V2_PARAMS.optionalDeviceHeaders,
          response: { 200: LogoutResponse, ...v2ErrorResponses },
        },
      },
      async (request) => {
        const key = requestProfileKey(request);
        const logout = await logouts.logout({
          key,
          mvpdId: request.params.mvpd,
          redirectUrl: request.query.redirectUrl,
          redirectDomains: passContext(request).client.application.redirectDomains,
        });
        return { logouts: { [logout.mvpd]: logout } };
      },
    );
  };
}
