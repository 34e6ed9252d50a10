/**
 * The console's session cookie: `HttpOnly` (no script reads it), `SameSite=Strict` (no other
 * site's page sends it), `Path=/` (it signs in the admin API too) and `Secure` everywhere but on
 * localhost over plain HTTP, where a browser keeps no Secure cookie from an http:// page.
 */
import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'domus_console';

/** The value of cookie `name` in the request's Cookie header, or undefined. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** Whether the request came for this machine itself (localhost, 127.0.0.0/8, ::1). */
export function isLocalhost(request: FastifyRequest): boolean {
  const host = request.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Whether the console's cookie must be Secure for this request (so plain HTTP cannot sign in). */
export function needsSecureCookie(request: FastifyRequest): boolean {
  return request.protocol === 'https' || !isLocalhost(request);
}

export function sessionCookie(request: FastifyRequest, id: string, maxAgeS: number): string {
  const secure = needsSecureCookie(request) ? '; Secure' : '';
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`;
}

export function clearedSessionCookie(request: FastifyRequest): string {
  return sessionCookie(request, '', 0);
}
