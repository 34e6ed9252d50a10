/**
 * Mounts the built-in demo identity providers on the HTTP server: for every MVPD whose
 * connection is `builtin`, an OpenID Connect provider under `/demo-mvpd/{mvpdId}/…` (issuer
 * `{publicRoot}/demo-mvpd/{mvpdId}`), with its sign-in pages.
 *
 * oidc-provider is a Koa application: a catch-all route hands the raw request to it (the reply
 * hijacked), with the prefix taken off the URL and given as `baseUrl`, the way its docs mount it
 * in other frameworks. Its request bodies are left unread for it to parse. An anonymous
 * visitor's logout is answered without it (anonymous-logout.ts): it would store a session.
 */

import type { HttpServer } from '../../../platform/http/server.js';
import type { KeyStore } from '../../../platform/keys/key-store.js';
import type { Logger } from '../../../platform/logger.js';
import type { Storage } from '../../../platform/storage/database.js';
import type { OperatorStore } from '../../operator/store.js';
import { DEMO_MVPD_PREFIX } from '../paths.js';
import { OidcPayloadStore } from './adapter.js';
import { answerAnonymousLogout } from './anonymous-logout.js';
import { forwardAsIssuer } from './forwarding.js';
import { interactionRoutes } from './interactions.js';
import { DemoProviderRegistry } from './registry.js';
import type { DemoUsers } from './users.js';

export interface DemoProviderDeps {
  storage: Storage;
  keyStore: KeyStore;
  operatorStore: Pick<OperatorStore, 'mvpd'>;
  /** The public root URL, read per request (the port is known only after listen). */
  publicRoot(): string;
  users: DemoUsers;
  logger: Logger;
}

export interface DemoProviders {
  registry: DemoProviderRegistry;
  payloads: OidcPayloadStore;
}

const PREFIX_PATTERN = new RegExp(`^${DEMO_MVPD_PREFIX}/[^/?#]*`);

/** Registers the demo providers' routes; call before the server is ready. */
export async function mountDemoProviders(app: HttpServer, deps: DemoProviderDeps): Promise<DemoProviders> {
  const payloads = new OidcPayloadStore(deps.storage);
  const registry = new DemoProviderRegistry({ ...deps, payloads });

  await app.register(async (scope) => interactionRoutes(scope, { registry, users: deps.users }), {
    prefix: DEMO_MVPD_PREFIX,
  });

  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      scope.route({
        method: ['GET', 'POST', 'OPTIONS'],
        url: '/:mvpdId/*',
        schema: { hide: true },
        handler: async (request, reply) => {
          const { mvpdId } = request.params as { mvpdId: string };
          const demo = await registry.resolve(mvpdId);
          if (!demo) return reply.callNotFound();
          const raw = request.raw;
          const original = raw.url ?? '/';
          const rest = original.replace(PREFIX_PATTERN, '');
          raw.url = rest.startsWith('/') ? rest : `/${rest}`;
          (raw as { baseUrl?: string }).baseUrl = new URL(demo.issuer).pathname;
          forwardAsIssuer(raw, demo.issuer, request.ip);
          // The headers every answer carries (request id, nosniff, Referrer-Policy), which a
          // hijacked reply would not send.
          for (const [name, value] of Object.entries(reply.getHeaders())) {
            if (value !== undefined) reply.raw.setHeader(name, value);
          }
          reply.hijack();
          try {
            if (await answerAnonymousLogout(demo, raw, reply.raw)) return;
            await demo.handle(raw, reply.raw);
          } catch (error) {
            request.log.error({ err: error, mvpd: mvpdId }, 'demo identity provider failed');
            if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'text/plain' });
            reply.raw.end();
          } finally {
            // The request log line (written when the response finishes) shows the full path;
            // it redacts the tokens a query may carry (platform/http/redact.ts).
            raw.url = original;
          }
        },
      });
    },
    { prefix: DEMO_MVPD_PREFIX },
  );

  return { registry, payloads };
}
