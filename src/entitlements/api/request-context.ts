/**
 * The request context of the authenticated REST API V2 routes (docs/entitlement-api.md, "3. Call
 * the V2 API"): an onRequest hook that accepts the request only with
 *
 * 1. `Authorization: Bearer <access token>` signed by this server and not expired, whose client
 *    registration exists and still holds its application's current software statement (a
 *    rotated statement revokes every client registered with the old one) → else 401
 *    `invalid_access_token_client_application`;
 * 2. a `{serviceProvider}` path parameter naming a known service provider → else 400
 *    `invalid_parameter_service_provider`;
 * 3. that service provider among the application's → else 401 `invalid_access_token_service_provider`;
 *
 * and hands the routes what it found through `passContext(request)`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessTokenClaims, AccessTokens } from '../dcr/access-tokens.js';
import type { ClientRegistrations, RegisteredClient } from '../dcr/client-registrations.js';
import { clientRefusal } from '../dcr/dcr-service.js';
import { PassError } from '../errors.js';
import type { ServiceProvider } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';

export interface PassContext {
  accessToken: AccessTokenClaims;
  /** The client registration and its application. */
  client: RegisteredClient;
  serviceProvider: ServiceProvider;
}

export interface RequestContextDeps {
  tokens: AccessTokens;
  registrations: ClientRegistrations;
  store: OperatorStore;
}

const contexts = new WeakMap<FastifyRequest, PassContext>();

/** The context of a request that passed the hook; throws for one outside the authenticated scope. */
export function passContext(request: FastifyRequest): PassContext {
  const context = contexts.get(request);
  if (!context) throw new Error(`no entitlement API context for ${request.method} ${request.url}`);
  return context;
}

export function requestContextHook(deps: RequestContextDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const authorization = request.headers.authorization;
    const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    const accessToken = match?.[1] ? deps.tokens.verify(match[1]) : null;
    const client = accessToken ? await deps.registrations.find(accessToken.clientId) : null;
    const refusal = client ? clientRefusal(client) : 'a valid access token is required';
    if (!accessToken || !client || refusal) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new PassError('invalid_access_token_client_application', refusal);
    }

    const serviceProviderId = (request.params as Record<string, string | undefined>).serviceProvider;
    if (serviceProviderId === undefined) {
      throw new Error(`route ${request.routeOptions.url} has no serviceProvider parameter`);
    }
    const serviceProvider = await deps.store.serviceProvider(serviceProviderId);
    if (!serviceProvider) throw new PassError('invalid_parameter_service_provider', 'unknown service provider');
    if (!client.application.serviceProviders.includes(serviceProvider.id)) {
      throw new PassError(
        'invalid_access_token_service_provider',
        "the service provider is not one of the client application's",
      );
    }
    contexts.set(request, { accessToken, client, serviceProvider });
  };
}
