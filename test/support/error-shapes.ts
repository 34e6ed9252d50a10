/**
 * The error shape of each wire format Domus speaks, as one check per format, and which format a
 * request's path belongs to (docs/domain-server.md, docs/entitlement-api.md):
 *
 * - domain protocol (`/flashaccess/…`): `{ ver, error: { code, name, message } }`;
 * - REST API V2 (`/api/v2/…`): Adobe's enhanced error, HTTP status = `status`; its user-agent
 *   steps (a browser opens them) answer HTML pages instead;
 * - DCR (`/o/…`): the OAuth error `{ error, error_description? }` (a throttled request: enhanced);
 * - admin API (`/admin/v1/…`) and everything else: `{ error: { code, message } }`, the admin API's with
 *   `field` too when a body field is at fault;
 * - the demo identity provider (`/demo-mvpd/…`): HTML pages, OAuth errors of its endpoints, or
 *   the generic shape.
 */

export type WireFormat = 'domain' | 'v2' | 'v2-page' | 'oauth' | 'admin' | 'demo' | 'generic';

export interface ShapedAnswer {
  status: number;
  contentType: string;
  text: string;
}

const V2_PAGES = /^\/api\/v2\/(authenticate|mvpd-callback|saml-acs|logout-flow|mvpd-logout-callback|saml-slo)\//;

/** The wire format of a request path (the raw path, before any decoding). */
export function wireFormatOf(path: string): WireFormat {
  if (path === '/flashaccess' || path.startsWith('/flashaccess/')) return 'domain';
  if (path === '/o' || path.startsWith('/o/')) return 'oauth';
  if (path.startsWith('/admin/v1/') || path === '/admin/v1') return 'admin';
  if (V2_PAGES.test(path)) return 'v2-page';
  if (path === '/api/v2' || path.startsWith('/api/v2/')) return 'v2';
  if (path.startsWith('/demo-mvpd/')) return 'demo';
  return 'generic';
}

const keysWithin = (value: object, allowed: string[]) => Object.keys(value).every((key) => allowed.includes(key));
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function isDomainError(body: unknown): boolean {
  if (!isObject(body) || !keysWithin(body, ['ver', 'error']) || !Number.isInteger(body.ver)) return false;
  const error = body.error;
  return (
    isObject(error) &&
    keysWithin(error, ['code', 'name', 'message']) &&
    Number.isInteger(error.code) &&
    typeof error.name === 'string' &&
    typeof error.message === 'string'
  );
}

export function isEnhancedError(body: unknown, status: number): boolean {
  return (
    isObject(body) &&
    keysWithin(body, ['action', 'status', 'code', 'message', 'details', 'helpUrl', 'trace']) &&
    typeof body.action === 'string' &&
    body.status === status &&
    typeof body.code === 'string' &&
    typeof body.message === 'string'
  );
}

export function isOAuthError(body: unknown): boolean {
  return (
    isObject(body) &&
    keysWithin(body, ['error', 'error_description']) &&
    typeof body.error === 'string' &&
    (body.error_description === undefined || typeof body.error_description === 'string')
  );
}

/** The server's generic shape. */
export function isGenericError(body: unknown): boolean {
  return (
    isObject(body) &&
    keysWithin(body, ['error']) &&
    isObject(body.error) &&
    keysWithin(body.error, ['code', 'message']) &&
    typeof body.error.code === 'string' &&
    typeof body.error.message === 'string'
  );
}

/** The admin API's shape: the generic one, with the body field at fault (`field`) when there is one. */
export function isAdminError(body: unknown): boolean {
  if (!isObject(body) || !isObject(body.error)) return false;
  const { field, ...rest } = body.error;
  return (
    (field === undefined || (typeof field === 'string' && field !== '')) && isGenericError({ ...body, error: rest })
  );
}

const isHtml = (answer: ShapedAnswer) =>
  /^text\/html/.test(answer.contentType) && /^\s*<!DOCTYPE html>/i.test(answer.text);

/**
 * Why an error answer (status ≥ 400) does not have its format's shape, or undefined when it does.
 */
export function shapeProblem(format: WireFormat, answer: ShapedAnswer): string | undefined {
  if (answer.status < 400) return undefined;
  if (format === 'v2-page' || format === 'demo') {
    if (isHtml(answer)) return undefined;
  }
  let body: unknown;
  if (/^application\/json/.test(answer.contentType)) {
    try {
      body = JSON.parse(answer.text);
    } catch {
      return `${format}: a JSON content type with a body that is not JSON`;
    }
  } else {
    return `${format}: an error answered as ${answer.contentType || 'no content type'}`;
  }
  const ok = {
    domain: () => isDomainError(body),
    v2: () => isEnhancedError(body, answer.status),
    'v2-page': () => isEnhancedError(body, answer.status),
    oauth: () => isOAuthError(body) || (answer.status === 429 && isEnhancedError(body, 429)),
    admin: () => isAdminError(body),
    demo: () => isGenericError(body) || isOAuthError(body),
    generic: () => isGenericError(body),
  }[format]();
  return ok ? undefined : `${format}: ${answer.status} ${answer.text.slice(0, 300)}`;
}
