/** The OIDC connector against scripted MVPD answers: failures are typed for the API's error codes. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { entitlementsFromClaims, isEntitled } from './entitlement-claim.js';
import { MvpdError } from './errors.js';
import type { Fetch } from './http.js';
import { codeChallenge, createCodeVerifier, OidcConnectors } from './oidc-connector.js';

const issuer = 'https://idp.cable.example';
const mvpd = {
  id: 'ExampleCable',
  connection: {
    kind: 'oidc' as const,
    issuer,
    clientId: 'domus client',
    clientSecret: 's3cr=t',
    scopes: ['profile', 'openid', 'tve'],
  },
};
const discovery = {
  issuer,
  authorization_endpoint: `${issuer}/authorize?tenant=1`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  token_endpoint_auth_methods_supported: ['client_secret_basic'],
};

function connectorWith(fetch: Fetch, options: { timeoutMs?: number } = {}) {
  return new OidcConnectors({ publicRoot: () => 'https://domus.example', fetch, ...options }).for(mvpd);
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function failure(failure: string, passCode: string) {
  return (error: unknown) => error instanceof MvpdError && error.failure === failure && error.passCode === passCode;
}

describe('OIDC connector', () => {
  it('builds the authorization request with PKCE S256', async () => {
    const connector = connectorWith(async () => json(discovery));
    const codeVerifier = createCodeVerifier();
    const url = new URL(await connector.authorizationUrl({ state: 'st', nonce: 'no', codeVerifier }));
    assert.equal(url.origin + url.pathname, `${issuer}/authorize`);
    const params = Object.fromEntries(url.searchParams);
    assert.deepEqual(params, {
      tenant: '1',
      response_type: 'code',
      client_id: 'domus client',
      redirect_uri: 'https://domus.example/api/v2/mvpd-callback/ExampleCable',
      scope: 'openid profile tve',
      state: 'st',
      nonce: 'no',
      code_challenge: codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    assert.match(codeVerifier, /^[A-Za-z0-9_-]{43}$/);
  });

  it('caches discovery and has no logout URL without an end_session_endpoint', async () => {
    let calls = 0;
    const connector = connectorWith(async () => {
      calls++;
      return json(discovery);
    });
    await connector.discovery();
    assert.equal(await connector.logoutUrl({ idTokenHint: 'x', state: 'y' }), undefined);
    assert.equal(calls, 1);
  });

  it('builds the logout URL from the end_session_endpoint', async () => {
    const connector = connectorWith(async () => json({ ...discovery, end_session_endpoint: `${issuer}/logout` }));
    const url = new URL((await connector.logoutUrl({ idTokenHint: 'tok', state: 'st' })) ?? '');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      id_token_hint: 'tok',
      post_logout_redirect_uri: 'https://domus.example/api/v2/mvpd-logout-callback/ExampleCable',
      state: 'st',
      client_id: 'domus client',
    });
  });

  it('sends the client secret form-encoded in Basic authentication', async () => {
    let authorization: string | null = null;
    const connector = connectorWith(async (url, init) => {
      if (String(url).endsWith('/token')) {
        authorization = new Headers(init?.headers).get('authorization');
        return json({ error: 'invalid_grant' }, 400);
      }
      return json(discovery);
    });
    await assert.rejects(
      connector.exchangeCode('c', createCodeVerifier(), 'n'),
      failure('oauth_error', 'network_received_error'),
    );
    assert.equal(authorization, `Basic ${Buffer.from('domus+client:s3cr%3Dt').toString('base64')}`);
  });

  it('types a timeout as network_connection_timeout', async () => {
    const connector = connectorWith(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          // A silent MVPD; the timer keeps the event loop alive as a real pending socket would
          // (AbortSignal.timeout's own timer does not).
          const silence = setTimeout(() => reject(new Error('the deadline never fired')), 5_000);
          init?.signal?.addEventListener('abort', () => {
            clearTimeout(silence);
            reject(init.signal?.reason);
          });
        }),
      { timeoutMs: 50 },
    );
    await assert.rejects(connector.discovery(), failure('timeout', 'network_connection_timeout'));
  });

  it('types a refused connection as network_connection_timeout', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const connectors = new OidcConnectors({ publicRoot: () => 'https://domus.example' });
    const connector = connectors.for({
      ...mvpd,
      connection: { ...mvpd.connection, issuer: `http://127.0.0.1:${port}` },
    });
    await assert.rejects(connector.discovery(), failure('unreachable', 'network_connection_timeout'));
  });

  it('types error answers and wrong documents as network_received_error', async () => {
    await assert.rejects(
      connectorWith(async () => new Response('down', { status: 503 })).discovery(),
      failure('invalid_response', 'network_received_error'),
    );
    await assert.rejects(
      connectorWith(async () => json({}, 500)).discovery(),
      failure('http_status', 'network_received_error'),
    );
    await assert.rejects(
      connectorWith(async () => json({ ...discovery, issuer: 'https://evil.example' })).discovery(),
      failure('invalid_response', 'network_received_error'),
    );
    await assert.rejects(
      connectorWith(async () => json({ ...discovery, jwks_uri: 'ftp://x' })).discovery(),
      failure('invalid_response', 'network_received_error'),
    );
  });

  it('does not cache a failed discovery', async () => {
    let calls = 0;
    const connector = connectorWith(async () => (++calls === 1 ? json({}, 500) : json(discovery)));
    await assert.rejects(connector.discovery());
    assert.equal((await connector.discovery()).issuer, issuer);
  });
});

describe('entitlement claim', () => {
  it('reads arrays, separated strings and the wildcard', () => {
    assert.deepEqual(entitlementsFromClaims({ channels: ['A', 'B', 'A', 3] }, 'channels'), ['A', 'B']);
    assert.deepEqual(entitlementsFromClaims({ channels: 'A, B C' }, 'channels'), ['A', 'B', 'C']);
    assert.deepEqual(entitlementsFromClaims({ channels: ['A', '*'] }, 'channels'), ['*']);
    assert.deepEqual(entitlementsFromClaims({}, 'channels'), []);
    assert.deepEqual(entitlementsFromClaims({ channels: [] }, 'channels'), []);
    assert.deepEqual(entitlementsFromClaims({}, 'toString'), []);
    assert.equal(isEntitled(['*'], 'Any'), true);
    assert.equal(isEntitled(['A'], 'B'), false);
  });
});
