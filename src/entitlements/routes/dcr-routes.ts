/**
 * Dynamic Client Registration under /o (docs/entitlement-api.md, "App integration"):
 *
 * - `POST /o/client/register`, JSON `{ software_statement, redirect_uri? }` → 201 client credentials;
 * - `POST /o/client/token`, `client_id`, `client_secret`, `grant_type=client_credentials` in a form
 *   body or the query string → 201 access token.
 *
 * Refusals are 400 `{ "error": "<OAuth code>", "error_description" }`. Both answers carry
 * `Cache-Control: no-store` (RFC 6749 §5.1): they hold secrets.
 */
import { type Static, Type } from 'typebox';
import { parseDeviceInfo } from '../api/device-headers.js';
import { EnhancedErrorSchema } from '../api/enhanced-errors.js';
import { OAuthErrorSchema, parseFormBody } from '../api/oauth.js';
import type { RoutePlugin } from '../api/pass-api.js';
import { CLIENT_CREDENTIALS, type Dcr, DcrError } from '../dcr/dcr-service.js';
import { PassError } from '../errors.js';

const tags = ['entitlement API: client registration'];

// RFC 7591 §2: a server ignores client metadata it does not understand, so extra fields pass.
const RegisterBody = Type.Object({
  software_statement: Type.String({ minLength: 1, maxLength: 16_384 }),
  redirect_uri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
});
const ClientApplication = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String(),
  client_id_issued_at: Type.Integer({ description: 'epoch seconds' }),
  redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
});

const Param = Type.Optional(Type.String({ maxLength: 1024 }));
const TokenParams = Type.Object({ client_id: Param, client_secret: Param, grant_type: Param, refresh_token: Param });
const TokenResponse = Type.Object({
  id: Type.String(),
  access_token: Type.String(),
  created_at: Type.Integer({ description: 'epoch milliseconds' }),
  expires_in: Type.Integer({ description: 'seconds' }),
  token_type: Type.Literal('bearer'),
});

const errors = { 400: OAuthErrorSchema, 405: OAuthErrorSchema, 429: EnhancedErrorSchema, 500: OAuthErrorSchema };

export function dcrRoutes(dcr: Dcr): RoutePlugin {
  return (app) => {
    app.post(
      '/client/register',
      {
        schema: {
          tags,
          summary: 'register a client with a software statement (X-Device-Info optional)',
          body: RegisterBody,
          headers: Type.Object({ 'x-device-info': Type.Optional(Type.String()) }),
          response: { 201: ClientApplication, ...errors },
        },
      },
      async (request, reply) => {
        const deviceInfo = request.headers['x-device-info'];
        if (deviceInfo !== undefined) {
          try {
            parseDeviceInfo(deviceInfo);
          } catch (error) {
            throw error instanceof PassError ? new DcrError('invalid_request', error.details ?? error.message) : error;
          }
        }
        const { registration, clientSecret, scopes } = await dcr.register({
          softwareStatement: request.body.software_statement,
          redirectUri: request.body.redirect_uri,
        });
        return reply
          .status(201)
          .header('cache-control', 'no-store')
          .header('pragma', 'no-cache')
          .send({
            client_id: registration.clientId,
            client_secret: clientSecret,
            client_id_issued_at: Math.floor(registration.createdAt / 1000),
            redirect_uris: registration.redirectUris,
            grant_types: [CLIENT_CREDENTIALS],
            scopes,
          });
      },
    );

    // The token endpoint takes a form body (or none: parameters in the query string), nothing else.
    app.register(async (tokenScope) => {
      tokenScope.removeContentTypeParser('application/json');
      tokenScope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseFormBody);
      tokenScope.post(
        '/client/token',
        {
          schema: {
            tags,
            summary: 'get an access token: client_id, client_secret, grant_type in a form body or the query string',
            querystring: TokenParams,
            body: { content: { 'application/x-www-form-urlencoded': { schema: TokenParams } } },
            response: { 201: TokenResponse, ...errors },
          },
        },
        async (request, reply) => {
          const body = (request.body ?? {}) as Static<typeof TokenParams>;
          const query = request.query as Static<typeof TokenParams>;
          const param = (name: keyof Static<typeof TokenParams>) => {
            const [fromBody, fromQuery] = [body[name], query[name]];
            if (fromBody !== undefined && fromQuery !== undefined && fromBody !== fromQuery) {
              throw new DcrError('invalid_request', `${name} is given twice with different values`);
            }
            return fromBody ?? fromQuery;
          };
          const issued = await dcr.token({
            clientId: param('client_id'),
            clientSecret: param('client_secret'),
            grantType: param('grant_type'),
          });
          return reply.status(201).header('cache-control', 'no-store').header('pragma', 'no-cache').send({
            id: issued.id,
            access_token: issued.token,
            created_at: issued.createdAt,
            expires_in: issued.expiresInS,
            token_type: 'bearer',
          });
        },
      );
    });
  };
}
