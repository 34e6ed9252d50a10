/**
 * OpenID Connect Discovery of an MVPD: its metadata document, checked for what Domus relies on
 * (the issuer it names, the endpoints as http(s) URLs, the lists as string arrays).
 */
import { MvpdError } from './errors.js';
import { type HttpOptions, requestJsonObject } from './http.js';

/** The parts of a provider's discovery document Domus uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
}

/** Fetches and checks the discovery document of `issuer`. */
export async function fetchDiscovery(http: HttpOptions, issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const body = await requestJsonObject(http, url, { headers: { accept: 'application/json' } }, 'discovery');
  // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (body.issuer !== issuer) throw new MvpdError('invalid_response', 'discovery names another issuer');
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!isHttpUrl(body[field])) throw new MvpdError('invalid_response', `discovery lacks ${field}`);
  }
  for (const field of ['userinfo_endpoint', 'end_session_endpoint'] as const) {
    if (body[field] !== undefined && !isHttpUrl(body[field])) {
      throw new MvpdError('invalid_response', `discovery has an invalid ${field}`);
    }
  }
  for (const field of ['id_token_signing_alg_values_supported', 'token_endpoint_auth_methods_supported'] as const) {
    const value = body[field];
    if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
      throw new MvpdError('invalid_response', `discovery has an invalid ${field}`);
    }
  }
  return body as unknown as ProviderMetadata;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
