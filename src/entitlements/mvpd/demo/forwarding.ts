/**
 * Makes a request look, to oidc-provider (Koa with `proxy` on), as if it arrived at the public
 * root: protocol and host come from the issuer, the client address from fastify (which applies
 * DOMUS_TRUSTED_PROXIES). Whatever forwarded headers the client sent are overwritten, so the
 * URLs and cookies the provider makes always belong to its issuer.
 */
import type { IncomingMessage } from 'node:http';

export function forwardAsIssuer(raw: IncomingMessage, issuer: string, clientIp: string): void {
  const url = new URL(issuer);
  raw.headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
  raw.headers['x-forwarded-host'] = url.host;
  raw.headers['x-forwarded-for'] = clientIp;
}
