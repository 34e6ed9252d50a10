/**
 * Dynamic Client Registration (RFC 7591 on OAuth 2.0 client credentials; docs/entitlement-api.md,
 * "App integration"): a software statement buys client credentials, client credentials buy access
 * tokens. Transport-neutral: refusals are DcrErrors carrying the OAuth error code the routes
 * answer.
 *
 * A statement is accepted only while it is its application's current one (its `jti` equals the
 * application's statement id) and the application holds the REST API V2 scope. A client whose
 * statement was replaced since it registered gets no more tokens (`unauthorized_client`), and
 * the tokens it holds stop working (api/request-context.ts): it has to register again.
 */
import { isAllowedRedirect } from '../operator/model.js';
import type { SoftwareStatements } from '../operator/software-statements.js';
import type { OperatorStore } from '../operator/store.js';
import type { AccessTokens, IssuedAccessToken } from './access-tokens.js';
import type { ClientRegistration, ClientRegistrations, RegisteredClient } from './client-registrations.js';

/** The scope a software statement needs for the REST API V2 (Adobe's DCR documentation). */
export const V2_SCOPE = 'api:client:v2';
export const CLIENT_CREDENTIALS = 'client_credentials';

export type DcrErrorCode =
  | 'invalid_request'
  | 'invalid_redirect_uri'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type';

export class DcrError extends Error {
  override name = 'DcrError';
  constructor(
    readonly code: DcrErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NewClient {
  registration: ClientRegistration;
  clientSecret: string;
  scopes: string[];
}

export class Dcr {
  constructor(
    private readonly deps: {
      statements: SoftwareStatements;
      store: OperatorStore;
      registrations: ClientRegistrations;
      tokens: AccessTokens;
    },
  ) {}

  async register(request: { softwareStatement: string; redirectUri?: string | undefined }): Promise<NewClient> {
    let claims: { applicationId: string; statementId: string };
    try {
      claims = await this.deps.statements.verify(request.softwareStatement);
    } catch {
      throw new DcrError(
        'invalid_software_statement',
        'the software statement is malformed or not signed by this server',
      );
    }
    const application = await this.deps.store.application(claims.applicationId);
    if (!application) {
      throw new DcrError(
        'unapproved_software_statement',
        'the application of this software statement no longer exists',
      );
    }
    if (application.statementId !== claims.statementId) {
      throw new DcrError('unapproved_software_statement', 'this software statement was replaced by a newer one');
    }
    if (!application.scopes.includes(V2_SCOPE)) {
      throw new DcrError('unapproved_software_statement', `the application lacks the ${V2_SCOPE} scope`);
    }
    const { redirectUri } = request;
    if (redirectUri !== undefined && !isAllowedRedirect(redirectUri, application.redirectDomains)) {
      throw new DcrError(
        'invalid_redirect_uri',
        "redirect_uri must be an absolute http(s) URL on one of the application's redirect domains",
      );
    }
    const { registration, clientSecret } = await this.deps.registrations.create({
      applicationId: application.id,
      statementId: application.statementId,
      redirectUris: redirectUri === undefined ? [] : [redirectUri],
    });
    return { registration, clientSecret, scopes: application.scopes };
  }

  async token(request: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    grantType: string | undefined;
  }): Promise<IssuedAccessToken> {
    const { clientId, clientSecret, grantType } = request;
    const missing = Object.entries({ client_id: clientId, client_secret: clientSecret, grant_type: grantType })
      .filter(([, value]) => !value)
      .map(([name]) => name);
    if (missing.length > 0 || !clientId || !clientSecret) {
      throw new DcrError('invalid_request', `missing ${missing.join(', ')}`);
    }
    if (grantType !== CLIENT_CREDENTIALS) {
      throw new DcrError('unsupported_grant_type', `grant_type must be ${CLIENT_CREDENTIALS}`);
    }
    const client = await this.deps.registrations.authenticate(clientId, clientSecret);
    if (!client) throw new DcrError('invalid_client', 'unknown client or wrong client secret');
    const refusal = clientRefusal(client);
    if (refusal) throw new DcrError('unauthorized_client', refusal);
    return this.deps.tokens.issue(clientId, client.application.scopes);
  }
}

/** Why a registered client may no longer act, or undefined when it may. */
export function clientRefusal(client: RegisteredClient): string | undefined {
  if (client.application.statementId !== client.registration.statementId) {
    return 'the software statement this client registered with was revoked; register again';
  }
  if (!client.application.scopes.includes(V2_SCOPE)) return `the application lacks the ${V2_SCOPE} scope`;
  return undefined;
}
