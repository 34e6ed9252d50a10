/**
 * Signing in and out of the console (docs/console.md, "Signing in"). The sign-in page is plain
 * server-rendered HTML with a form, no script; it takes the admin token or the operator
 * password. Wrong credentials count against the same per-address limit as wrong admin tokens.
 * A sign-in posted from another site's page (its Origin not ours) is refused, so nobody can sign
 * a browser in to an account of theirs; signing out is a change and needs the CSRF token.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseFormBody } from '../entitlements/api/oauth.js';
import type { AdminGuard } from '../platform/http/admin.js';
import { escapeHtml, htmlDocument } from '../platform/http/html.js';
import type { HttpServer } from '../platform/http/server.js';
import { clearedSessionCookie, cookieOf, needsSecureCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';
import { CONSOLE_HEADERS } from './headers.js';
import type { OperatorPassword } from './operator-password.js';
import { type ConsoleSessions, csrfMatches, SESSION_MAX_MS } from './sessions.js';

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:64px 16px;color:#1b1f24}
main{max-width:420px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 32px;box-shadow:0 1px 3px #0003}
h1{font-size:1.4rem;margin:0 0 16px}label{display:block;font-weight:600;margin:0 0 4px}
input{width:100%;box-sizing:border-box;padding:8px;font-size:1rem;border:1px solid #8c959f;border-radius:6px}
button{margin-top:16px;padding:8px 16px;font-size:1rem;background:#0b57d0;color:#fff;border:0;border-radius:6px;cursor:pointer}
.error{color:#a40e26;margin:8px 0 0}.hint{color:#57606a;font-size:.9rem}a{color:#0b57d0}`;
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
const MAX_CREDENTIAL_LENGTH = 4096;

export interface SignInDeps {
  guard: AdminGuard;
  sessions: ConsoleSessions;
  password: OperatorPassword;
}

/** Mounts GET/POST /console/sign-in and POST /console/sign-out on the console's scope. */
export function signInRoutes(app: HttpServer, deps: SignInDeps): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, parseFormBody);

  app.get('/sign-in', { schema: { hide: true } }, async (request, reply) => signInPage(reply, request, 200));

  app.post('/sign-in', { schema: { hide: true } }, async (request, reply) => {
    if (!sameOrigin(request)) return signInPage(reply, request, 403, 'Refused: this sign-in came from another site.');
    if (needsSecureCookie(request) && request.protocol !== 'https') {
      return signInPage(reply, request, 400, 'Signing in needs HTTPS on any host but localhost.');
    }
    const credential = formField(request.body, 'credential');
    if (credential === undefined || credential.length > MAX_CREDENTIAL_LENGTH) {
      return signInPage(reply, request, 400, 'Enter the admin token or the operator password.');
    }
    const blocked = await deps.guard.limitAttempt(request.ip, true);
    if (blocked) {
      reply.header('retry-after', String(blocked.retryAfterS));
      return signInPage(reply, request, 429, `Too many wrong attempts: try again in ${blocked.retryAfterS} s.`);
    }
    const kind = deps.guard.isAdminToken(credential)
      ? 'admin-token'
      : (await deps.password.matches(credential))
        ? 'password'
        : undefined;
    if (kind === undefined) {
      const refused = await deps.guard.limitAttempt(request.ip, false);
      if (refused) reply.header('retry-after', String(refused.retryAfterS));
      return signInPage(
        reply,
        request,
        refused ? 429 : 401,
        'That is neither the admin token nor the operator password.',
      );
    }
    const { id } = await deps.sessions.create(kind);
    request.log.info({ credential: kind }, 'console sign-in');
    return reply
      .headers(CONSOLE_HEADERS)
      .header('set-cookie', sessionCookie(request, id, SESSION_MAX_MS / 1000))
      .redirect('/console/', 303);
  });

  app.post('/sign-out', { schema: { hide: true } }, async (request, reply) => {
    const id = cookieOf(request, SESSION_COOKIE);
    const session = id ? await deps.sessions.find(id) : null;
    if (id && session) {
      const given = formField(request.body, 'csrf') ?? request.headers['x-csrf-token'];
      if (!sameOrigin(request) || !csrfMatches(session, given)) {
        return reply.status(403).send({ error: { code: 'forbidden', message: 'signing out needs the CSRF token' } });
      }
      await deps.sessions.end(id);
    }
    return reply.header('set-cookie', clearedSessionCookie(request)).redirect('/console/sign-in', 303);
  });
}

/**
 * Whether a request may come from where it comes from: a browser says where with Sec-Fetch-Site
 * (same-origin, or none when the operator typed the address), an older one with Origin (which
 * Chromium sends as "null" on a form post from a no-referrer page, hence Sec-Fetch-Site first);
 * a request with neither is no browser's, and cookies and CSRF tokens guard it.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = request.headers.origin;
  return origin === undefined || origin === `${request.protocol}://${request.host}`;
}

function formField(body: unknown, name: string): string | undefined {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function signInPage(reply: FastifyReply, request: FastifyRequest, status: number, error?: string) {
  const https = needsSecureCookie(request) && request.protocol !== 'https';
  const body = `<h1>Domus console</h1>
<form method="post" action="/console/sign-in">
<label for="credential">Admin token or operator password</label>
<input id="credential" name="credential" type="password" autocomplete="current-password" required autofocus${
    error ? ' aria-describedby="sign-in-error" aria-invalid="true"' : ''
  }>
${error ? `<p class="error" id="sign-in-error" role="alert">${escapeHtml(error)}</p>` : ''}
<button type="submit">Sign in</button>
</form>
<p class="hint">The admin token is printed at the server's first start and kept in its data directory
(<code>admin-token</code>), unless <code>DOMUS_ADMIN_TOKEN</code> sets it.${
    https ? ' This server was reached over plain HTTP on a host other than localhost: sign in over HTTPS.' : ''
  }</p>
<p class="hint"><a href="/">About this server</a></p>`;
  return reply
    .status(status)
    .headers({ ...CONSOLE_HEADERS, 'content-security-policy': CSP, 'cache-control': 'no-store' })
    .type('text/html; charset=utf-8')
    .send(htmlDocument('Sign in — Domus console', STYLE, body));
}
