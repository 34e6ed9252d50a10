/**
 * Helpers for tests of the authentication flow over HTTP: V2 calls checked against Adobe's
 * OpenAPI, enhanced-error and HTML-page assertions, and a user agent that walks from an
 * authenticate URL through the demo MVPD's sign-in form.
 */
import assert from 'node:assert/strict';
import { adobeResponseErrors, assertAdobeResponse } from './adobe-contract.js';
import { type Answer, call, deviceIdentifierHeader, deviceInfoHeader } from './pass-client.js';
import { forms, type Page, type UserAgent } from './user-agent.js';

export type CallOptions = Parameters<typeof call>[3];

/** A V2 call whose answer must be one Adobe's OpenAPI allows for the operation. */
export async function v2(url: string, method: string, pathname: string, options: CallOptions = {}): Promise<Answer> {
  const answer = await call(url, method, pathname, options);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, `${method} ${pathname}`);
  await assertAdobeResponse(method, pathname, answer);
  return answer;
}

/** Both device headers for a device id (and optionally X-Device-Info contents). */
export function device(id: string, info?: object): Record<string, string> {
  return { 'ap-device-identifier': deviceIdentifierHeader(id), 'x-device-info': deviceInfoHeader(info) };
}

/** An enhanced error with this status and code (the trace is the request id). */
export function assertEnhanced(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.code, code, JSON.stringify(answer.body));
  assert.equal(answer.body.status, status);
  assert.equal(answer.body.trace, answer.headers.get('x-request-id'));
}

/**
 * An HTML page with this status: never JSON, never a redirect; for an Adobe path, a status its
 * OpenAPI declares (its body there is described as JSON, but Adobe's documentation and Domus
 * answer these steps with text/html).
 */
export async function assertHtmlPage(page: Page, status: number, text?: RegExp): Promise<void> {
  assert.equal(page.status, status, page.body);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(page.location, undefined);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.throws(() => JSON.parse(page.body));
  assert.match(page.body, /^<!DOCTYPE html>/);
  if (text) assert.match(page.body, text);
  const path = new URL(page.url).pathname;
  if (path.startsWith('/api/v2/authenticate/')) {
    const errors = await adobeResponseErrors('GET', path, page.status, null);
    assert.equal(
      errors.some((error) => error.includes('is not declared')),
      false,
      errors.join('\n'),
    );
  }
}

/** The links of a page (href values, entities decoded). */
export function links(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*\bhref="([^"]*)"/gi)].map((match) =>
    (match[1] ?? '').replace(/&#(\d+);/g, (_m, c) => String.fromCharCode(Number(c))),
  );
}

/**
 * Opens `startUrl` in the user agent and follows redirects; on the demo MVPD's sign-in form,
 * signs in as `user` (password = name) and follows on. Answers the first URL `stop` accepts,
 * or the page where the walk ended (a picker, the signed-in page, an error page).
 */
export async function walkLogin(
  agent: UserAgent,
  startUrl: string,
  user: string,
  stop: (url: string) => boolean,
): Promise<Page | string> {
  const reached = await agent.follow(await agent.get(startUrl), stop);
  if (typeof reached === 'string') return reached;
  const login = forms(reached.body).find((form) => form.action.endsWith('/login'));
  if (!login || reached.status !== 200) return reached;
  const posted = await agent.post(new URL(login.action, reached.url).href, { user, password: user });
  assert.equal(posted.status, 303, posted.body);
  return agent.follow(posted, stop);
}
