/**
 * What of a request URL may be logged (issue 9): the path and the query, with the value of
 * every parameter that can carry a secret, a one-time code or a token replaced by `[redacted]`.
 *
 * - Query parameters, by name (case-insensitive), wherever they appear: client credentials,
 *   OAuth and OIDC codes, tokens, states and hints, SAML messages and their signatures,
 *   passwords and software statements.
 * - Path parameters, by the name the route gives them: `code` (an authentication session's
 *   code, which lets whoever holds it complete that session's sign-in) and `state` (a logout
 *   round trip's one-time link).
 *
 * Headers are never logged (Authorization, Cookie and the device headers included).
 */

export const REDACTED = '[redacted]';

/** Query parameters whose values never reach a log line (lower case). */
export const SECRET_QUERY_PARAMETERS: ReadonlySet<string> = new Set([
  'access_token',
  'assertion',
  'client_assertion',
  'client_secret',
  'code',
  'code_verifier',
  'id_token',
  'id_token_hint',
  'login_hint',
  'logout_hint',
  'nonce',
  'password',
  'refresh_token',
  'relaystate',
  'samlrequest',
  'samlresponse',
  'signature',
  'software_statement',
  'state',
  'token',
  'xsrf',
]);

/** Route parameters (`:name` in a route's path) whose values never reach a log line. */
export const SECRET_PATH_PARAMETERS: ReadonlySet<string> = new Set(['code', 'state']);

/**
 * The URL to log: `url` as sent (percent-encoded), its secret query values redacted, and, when
 * the route's path pattern is known, the segments of its secret path parameters.
 */
export function loggableUrl(url: string, routePattern?: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : url.slice(queryAt + 1);
  return redactPath(path, routePattern) + (query === undefined ? '' : `?${redactQuery(query)}`);
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals === -1 ? pair : pair.slice(0, equals);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase();
      } catch {
        return `${rawName.slice(0, 64)}=${REDACTED}`;
      }
      return SECRET_QUERY_PARAMETERS.has(name) && equals !== -1 ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
}

function redactPath(path: string, routePattern: string | undefined): string {
  if (!routePattern?.includes(':')) return path;
  const patternSegments = routePattern.split('/');
  const segments = path.split('/');
  for (let i = 0; i < patternSegments.length && i < segments.length; i++) {
    const pattern = patternSegments[i] ?? '';
    if (pattern.startsWith(':') && SECRET_PATH_PARAMETERS.has(pattern.slice(1))) segments[i] = REDACTED;
  }
  return segments.join('/');
}
