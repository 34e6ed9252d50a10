/**
 * The front page at `/` (issue 12, item 1): what this server is, its version, where its public
 * documents are, and, with the demo data on, how to try it. Plain server-rendered HTML, no
 * script; its one stylesheet is allowed by hash, so the CSP needs no `unsafe-inline`.
 */
import { createHash } from 'node:crypto';
import { escapeHtml, htmlDocument } from '../platform/http/html.js';
import type { HttpServer } from '../platform/http/server.js';

export interface FrontPageOptions {
  version: string;
  /** Public root URL of this server, without a trailing slash. */
  publicRoot(): string;
  /** Whether the demo data (DemoChannel, DemoCable, DemoSat and their users) is seeded. */
  demo: boolean;
  /** Whether the console and the admin API are on this listener (not on the management one). */
  consoleHere: boolean;
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px;color:#1b1f24;line-height:1.5}
main{max-width:720px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 32px;box-shadow:0 1px 3px #0003}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.1rem;margin:24px 0 8px}.version{color:#57606a;margin:0 0 16px}
a{color:#0b57d0}code,pre{font-family:ui-monospace,monospace;font-size:.9rem}pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow-x:auto}`;

/** The CSP of the page: nothing but its own stylesheet, no framing, no forms. */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export const FRONT_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function mountFrontPage(app: HttpServer, options: FrontPageOptions): void {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .headers(FRONT_PAGE_HEADERS)
      .send(frontPage(options.version, options.publicRoot(), options.demo, options.consoleHere)),
  );
}

export function frontPage(version: string, root: string, demo: boolean, consoleHere = true): string {
  const url = escapeHtml(root);
  const body = `<h1>Domus</h1>
<p class="version">Version ${escapeHtml(version)}</p>
<p>An open-source entitlement server for streaming services. It serves
<strong>DRM device domains</strong> (devices of a household join a domain and receive its keys, the
business logic of the Adobe Access / Primetime DRM Reference Implementation) and
<strong>TV-Everywhere sign-in</strong> (an API compatible with the Adobe Pass Authentication REST API V2
and its Dynamic Client Registration).</p>
<h2>On this server</h2>
<ul>
<li><a href="/openapi.json">OpenAPI document</a>: every route of the REST API V2, Dynamic Client Registration, the domain protocol and the admin API</li>
<li><a href="/flashaccess/domain-ca.pem">Domain CA certificate</a>: what license servers trust for domain-bound licenses</li>
<li><a href="/flashaccess/getServerVersion/v3">Domain server version</a>: the protocol versions and extensions it speaks</li>
</ul>
${consoleHere ? consoleLink : consoleElsewhere}${demo ? demoSection(url) : ''}`;
  return htmlDocument(`Domus ${version}`, STYLE, body);
}

const consoleLink = `<h2>Operators</h2>
<p><a href="/console/">Operator console</a>: sign in with the admin token to run the service providers, MVPDs,
applications, domains and households. The same through the admin API under <code>/admin/v1</code>, or
<code>domus admin help</code> on the command line.</p>`;

const consoleElsewhere = `<h2>Operators</h2>
<p>The operator console (<code>/console/</code>) and the admin API (<code>/admin/v1</code>) are served on this
server's management listener, not here.</p>`;

function demoSection(url: string): string {
  return `
<h2>Try the demo</h2>
<p>The demo data is on: service provider <code>DemoChannel</code>, the MVPDs <code>DemoCable</code> and
<code>DemoSat</code> served by the built-in demo identity provider, and the application <code>demo-app</code>.
Two devices join an anonymous domain and list its members:</p>
<pre>npx domus device individualize --dir dev1 --server ${url} --simulated-hardware laptop
npx domus device join ${url}/flashaccess/domainserver/family --dir dev1 --label "Laptop"
npx domus device individualize --dir dev2 --server ${url} --simulated-hardware tablet
npx domus device join ${url}/flashaccess/domainserver/family --dir dev2 --label "Tablet"
npx domus device members ${url}/flashaccess/domainserver/family --dir dev1</pre>
<p>The README's "Sign in with a demo MVPD" walks an application through sign-in, an authorization
decision and sign-out against the REST API V2.</p>`;
}
