/**
 * `GET /api/v2/saml-metadata/{mvpd}`: Domus's SAML 2.0 service-provider metadata for one SAML MVPD
 * (docs/entitlement-api.md, "SAML MVPDs"), public, for the MVPD's operator to register Domus at its
 * IdP: the entity id (this very URL), the signing certificate of Domus's AuthnRequests and
 * LogoutRequests, the assertion consumer service (HTTP-POST) and, when the MVPD has a logout
 * endpoint, the single logout service (HTTP-Redirect). An unknown MVPD, or one that is not SAML, is
 * `invalid_parameter_mvpd`.
 */
import { Type } from 'typebox';
import { v2ErrorResponses } from '../api/enhanced-errors.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { PassError } from '../errors.js';
import type { SamlConnectors } from '../mvpd/saml/saml-connector.js';
import type { OperatorStore } from '../operator/store.js';
import { V2_PARAMS } from './v2-schemas.js';

const METADATA_TYPE = 'application/samlmetadata+xml';

export function samlMetadataRoutes(store: OperatorStore, saml: SamlConnectors): RoutePlugin {
  return (app) => {
    app.get(
      '/saml-metadata/:mvpd',
      {
        schema: {
          tags: ['entitlement API: SAML'],
          summary: "Domus's SAML service-provider metadata for a SAML MVPD (register it at the MVPD's IdP)",
          params: Type.Object({ mvpd: V2_PARAMS.mvpd }),
          response: {
            200: {
              description: 'SAML 2.0 metadata (an EntityDescriptor)',
              content: { [METADATA_TYPE]: { schema: { type: 'string' } } },
            },
            400: v2ErrorResponses[400],
            405: v2ErrorResponses[405],
            429: v2ErrorResponses[429],
            500: v2ErrorResponses[500],
          },
        },
      },
      async (request, reply) => {
        const mvpd = await store.mvpd(request.params.mvpd);
        if (mvpd?.connection.kind !== 'saml') {
          throw new PassError('invalid_parameter_mvpd', `no SAML MVPD ${request.params.mvpd}`);
        }
        const xml = await saml.for(mvpd).metadata();
        return reply.header('content-type', METADATA_TYPE).header('cache-control', 'public, max-age=300').send(xml);
      },
    );
  };
}
