/**
 * RP-initiated logout (`/session/end`) of a visitor the demo provider holds no signed-in session
 * for, answered without oidc-provider (issue 9). oidc-provider stores a session for such a
 * visitor, only to carry the secret of a form it submits at once to itself: a row for every
 * anonymous request. There is nothing to sign out of, so this answers where that form would
 * have ended, storing nothing:
 *
 * - to the `post_logout_redirect_uri` (with `state`) when the client, named by a valid
 *   `id_token_hint` or by `client_id`, has it registered — as oidc-provider checks them;
 * - a hint that does not verify, or that names another client than `client_id`: the provider's
 *   error page, 400;
 * - otherwise the signed-out page.
 *
 * A visitor with a session (a signed, stored session cookie with an account) is left to
 * oidc-provider, which asks them to confirm.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { errorPage, loggedOutPage } from './pages.js';
import type { DemoProvider } from './registry.js';

const END_SESSION = '/session/end';
const MAX_FORM_BYTES = 16 * 1024;

/** Answers the request when it is an anonymous visitor's logout; false leaves it to the provider. */
export async function answerAnonymousLogout(
  demo: DemoProvider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  // Without a logout endpoint, the provider has no /session/end: its 404 stands.
  if (!demo.mvpd.hasLogoutEndpoint) return false;
  const url = new URL(req.url ?? '/', 'http://provider');
  if (url.pathname !== END_SESSION || (req.method !== 'GET' && req.method !== 'POST')) return false;
  if (await hasSession(demo, req, res)) return false;
  const params = req.method === 'POST' ? await formParameters(req) : url.searchParams;
  if (!params) {
    html(res, 400, errorPage(demo.branding, 'invalid_request', 'The sign-out request is too large.'));
    return true;
  }

  const hint = params.get('id_token_hint');
  const clientId = params.get('client_id');
  let client: Awaited<ReturnType<DemoProvider['provider']['Client']['find']>>;
  try {
    const audience = hint ? decodeJwt(hint).aud : clientId;
    if (typeof audience !== 'string' || (hint && clientId && clientId !== audience)) throw new Error('audience');
    client = await demo.provider.Client.find(audience);
    if (hint && (!client || !(await demo.provider.IdToken.validate(hint, client)))) throw new Error('hint');
  } catch {
    if (hint || clientId) {
      html(res, 400, errorPage(demo.branding, 'invalid_request', 'The sign-out request could not be verified.'));
      return true;
    }
    client = undefined;
  }

  const target = params.get('post_logout_redirect_uri');
  if (client && target && client.postLogoutRedirectUriAllowed(target)) {
    const next = new URL(target);
    const state = params.get('state');
    if (state !== null) next.searchParams.set('state', state);
    res.writeHead(303, { location: next.href, 'cache-control': 'no-store' });
    res.end();
    return true;
  }
  html(res, 200, loggedOutPage(demo.branding));
  return true;
}

/** True when the request's session cookie is signed and names a stored session with an account. */
async function hasSession(demo: DemoProvider, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const { provider } = demo;
  const cookies = provider.createContext(req, res).cookies;
  const id = cookies.get(provider.cookieName('session'), { signed: true });
  if (!id) return false;
  const session = await provider.Session.find(id);
  return typeof session?.accountId === 'string';
}

/** The form body of a POST (read here: nothing else reads this request), or undefined. */
async function formParameters(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    return new URLSearchParams();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(body);
}
