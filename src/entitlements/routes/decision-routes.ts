/**
 * `POST /api/v2/{serviceProvider}/decisions/preauthorize/{mvpd}` and `.../authorize/{mvpd}`
 * (docs/entitlement-api.md, "Decisions"; the rules are in decisions/decision-service.ts). JSON body
 * `{ "resources": [...] }`, device headers required. Answers `{ decisions: [...] }` (HTTP 200,
 * denials as item-level errors), or a top-level error: 400 for bad input or an inactive
 * integration, 403 for too many resources or no usable profile.
 */
import { Type } from 'typebox';
import { EnhancedErrorSchema, v2ErrorResponses } from '../api/enhanced-errors.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { requestProfileKey } from '../api/profile-key.js';
import type { Decision, DecisionKind, DecisionService } from '../decisions/decision-service.js';
import { V2_PARAMS, v2Security } from './v2-schemas.js';

/** A resource id as the app sends it (a channel or asset id; Adobe also allows an MRSS snippet). */
const Resource = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[^\\u0000-\\u001f]+$' });

const DecisionsRequest = Type.Object({
  resources: Type.Array(Resource, { minItems: 1, description: 'preauthorize: up to 5; authorize: 1' }),
});

const MediaToken = Type.Object({
  notBefore: Type.Integer({ description: 'epoch ms' }),
  notAfter: Type.Integer({ description: 'epoch ms' }),
  serializedToken: Type.String({ description: 'base64 of the signed media token (see /media-tokens/jwks.json)' }),
});

const DecisionSchema = Type.Object({
  resource: Type.String(),
  serviceProvider: Type.String(),
  mvpd: Type.String(),
  source: Type.String({ description: 'mvpd' }),
  authorized: Type.Boolean(),
  notBefore: Type.Integer({ description: 'epoch ms' }),
  notAfter: Type.Integer({ description: 'epoch ms: now + the MVPD authZ TTL' }),
  token: Type.Optional(MediaToken),
  error: Type.Optional(EnhancedErrorSchema),
});

const DecisionsResponse = Type.Object({ decisions: Type.Array(DecisionSchema) });

const SUMMARY: Record<DecisionKind, string> = {
  preauthorize: 'informational decisions for up to 5 resources (no media token)',
  authorize: 'the decision for one resource, with a media token on permit',
};

export function decisionRoutes(decisions: DecisionService): RoutePlugin {
  return (app) => {
    for (const kind of ['preauthorize', 'authorize'] as const) {
      app.post(
        `/:serviceProvider/decisions/${kind}/:mvpd`,
        {
          schema: {
            tags: ['entitlement API: decisions'],
            summary: SUMMARY[kind],
            security: v2Security,
            params: Type.Object({ serviceProvider: V2_PARAMS.serviceProvider, mvpd: V2_PARAMS.mvpd }),
            headers: V2_PARAMS.optionalDeviceHeaders,
            body: DecisionsRequest,
            response: { 200: DecisionsResponse, ...v2ErrorResponses, 403: EnhancedErrorSchema },
          },
          // No body at all reads as no resources (invalid_parameter_resources), not a malformed request.
          preValidation: async (request) => {
            request.body ??= {} as { resources: string[] };
          },
        },
        async (request) => {
          const made = await decisions.decide(kind, {
            key: requestProfileKey(request),
            mvpdId: request.params.mvpd,
            resources: request.body.resources,
          });
          return { decisions: made.map((decision) => render(decision, request.id)) };
        },
      );
    }
  };
}

function render(decision: Decision, trace: string) {
  const { error, token, ...rest } = decision;
  return { ...rest, ...(token && { token }), ...(error && { error: error.toBody(trace) }) };
}
