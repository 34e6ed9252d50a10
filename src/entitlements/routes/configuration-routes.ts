/**
 * `GET /api/v2/{serviceProvider}/configuration` (docs/entitlement-api.md, "4. Configuration"):
 * the service provider and the MVPDs of its picker, i.e. those with an **active** integration,
 * nested under `requestor.mvpds[]` as Adobe's sample and OpenAPI have it. The device headers are
 * optional here (checked when present); Domus's answer does not depend on the platform.
 */
import { Type } from 'typebox';
import { deviceHeaders } from '../api/device-headers.js';
import { v2ErrorResponses } from '../api/enhanced-errors.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { passContext } from '../api/request-context.js';
import type { OperatorStore } from '../operator/store.js';
import { V2_PARAMS, v2Security } from './v2-schemas.js';

const Mvpd = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  logoUrl: Type.String(),
  isTempPass: Type.Boolean(),
  isProxy: Type.Boolean(),
});
const ConfigurationResponse = Type.Object({
  requestor: Type.Object({ id: Type.String(), name: Type.String(), mvpds: Type.Array(Mvpd) }),
});

export function configurationRoutes(store: OperatorStore): RoutePlugin {
  return (app) => {
    app.get(
      '/:serviceProvider/configuration',
      {
        schema: {
          tags: ['entitlement API: configuration'],
          summary: 'the MVPDs with an active integration with the service provider',
          security: v2Security,
          params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider }),
          querystring: Type.Object({ profile: Type.Optional(Type.String({ maxLength: 128 })) }),
          headers: V2_PARAMS.optionalDeviceHeaders,
          response: { 200: ConfigurationResponse, ...v2ErrorResponses },
        },
      },
      async (request) => {
        deviceHeaders(request.headers, false);
        const { serviceProvider } = passContext(request);
        const mvpds = await store.activeMvpds(serviceProvider.id);
        return {
          requestor: {
            id: serviceProvider.id,
            name: serviceProvider.displayName,
            mvpds: mvpds.map((mvpd) => ({ ...mvpd, isTempPass: false, isProxy: false })),
          },
        };
      },
    );
  };
}
