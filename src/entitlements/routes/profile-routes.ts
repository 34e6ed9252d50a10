/**
 * Profiles (docs/entitlement-api.md, "5. Sign the viewer in"; the rules are in
 * profiles/profile-queries.ts), each answering `{ profiles: { <mvpd>: { notBefore, notAfter,
 * issuer, type, attributes } } }` with integer times; an empty map means "not signed in":
 *
 * - `GET /api/v2/{sp}/profiles`: device headers required; every valid profile of this device;
 * - `GET /api/v2/{sp}/profiles/{mvpd}`: device headers required; the one for that MVPD;
 * - `GET /api/v2/{sp}/profiles/code/{code}`: no device headers; the one a session's login made.
 */
import { type Static, Type } from 'typebox';
import { v2ErrorResponses } from '../api/enhanced-errors.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { requestProfileKey } from '../api/profile-key.js';
import { passContext } from '../api/request-context.js';
import type { ProfileQueries } from '../profiles/profile-queries.js';
import type { Profile } from '../profiles/profile-store.js';
import { Code } from './session-schemas.js';
import { V2_PARAMS, v2Security } from './v2-schemas.js';

const tags = ['entitlement API: profiles'];

const MvpdProfile = Type.Object({
  notBefore: Type.Integer({ description: 'epoch milliseconds' }),
  notAfter: Type.Integer({ description: 'epoch milliseconds' }),
  issuer: Type.String({ description: 'the MVPD id' }),
  type: Type.String({ description: 'regular' }),
  attributes: Type.Record(
    Type.String(),
    Type.Object({ value: Type.Unknown(), state: Type.String({ description: 'plain' }) }),
    { description: 'user metadata: userID, upstreamUserID, householdID' },
  ),
});
const ProfilesResponse = Type.Object({ profiles: Type.Record(Type.String(), MvpdProfile) });

const WithDevice = { headers: V2_PARAMS.optionalDeviceHeaders };
const common = { tags, security: v2Security, response: { 200: ProfilesResponse, ...v2ErrorResponses } };

export function profileRoutes(queries: ProfileQueries): RoutePlugin {
  return (app) => {
    app.get(
      '/:serviceProvider/profiles',
      {
        schema: {
          ...common,
          ...WithDevice,
          summary: 'the valid profiles of this device (empty: not signed in)',
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider }),
        },
      },
      async (request) => profilesResponse(await queries.all(requestProfileKey(request))),
    );

    app.get(
      '/:serviceProvider/profiles/:mvpd',
      {
        schema: {
          ...common,
          ...WithDevice,
          summary: "this device's valid profile for the MVPD, if any",
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, mvpd: V2_PARAMS.mvpd }),
        },
      },
      async (request) => profilesResponse(await queries.forMvpd(requestProfileKey(request), request.params.mvpd)),
    );

    app.get(
      '/:serviceProvider/profiles/code/:code',
      {
        schema: {
          ...common,
          summary: 'the profile the login of a session produced (polling; no device headers)',
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, code: Code }),
        },
      },
      async (request) => {
        const { client, serviceProvider } = passContext(request);
        const owner = { clientId: client.registration.clientId, serviceProviderId: serviceProvider.id };
        return profilesResponse(await queries.byCode(request.params.code.toUpperCase(), owner));
      },
    );
  };
}

export function profilesResponse(profiles: Profile[]): Static<typeof ProfilesResponse> {
  return {
    profiles: Object.fromEntries(
      profiles.map((profile) => [
        profile.mvpdId,
        {
          notBefore: profile.notBefore,
          notAfter: profile.notAfter,
          issuer: profile.mvpdId,
          type: 'regular',
          attributes: profile.attributes,
        },
      ]),
    ),
  };
}
