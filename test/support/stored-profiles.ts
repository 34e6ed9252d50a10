/**
 * Profiles for tests of what comes after a login (decisions, logout, household tokens): saved
 * straight into the server's profile store, optionally with a real ID token from a sign-in at a
 * built-in demo MVPD driven by a scripted user agent (so the MVPD holds a session to log out of),
 * or made end to end by signing in through Domus's authenticate flow.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createCodeVerifier, OidcConnectors } from '../../src/entitlements/mvpd/oidc-connector.js';
import type { Profile } from '../../src/entitlements/profiles/profile-store.js';
import { call, deviceIdentifierHeader, deviceInfoHeader } from './pass-client.js';
import { walkLogin } from './pass-login.js';
import type { TestServer } from './server.js';
import type { UserAgent } from './user-agent.js';

/** A device of the tests: its AP-Device-Identifier id and the headers that name it. */
export function device(id: string) {
  return {
    /** The canonical identifier profiles are keyed by. */
    deviceId: Buffer.from(id).toString('base64'),
    headers: { 'ap-device-identifier': deviceIdentifierHeader(id), 'x-device-info': deviceInfoHeader() },
  };
}

export interface ProfileInput {
  clientId: string;
  deviceId: string;
  mvpd: string;
  serviceProvider?: string;
  user?: string;
  householdId?: string | null;
  entitlements?: string[];
  idToken?: string | null;
  /** Epoch ms; default an hour from now. */
  notAfter?: number;
}

export async function saveProfile(server: TestServer, input: ProfileInput): Promise<Profile> {
  const now = Date.now();
  const user = input.user ?? 'alice';
  return server.domus.entitlements.profiles.save({
    clientId: input.clientId,
    deviceId: input.deviceId,
    serviceProviderId: input.serviceProvider ?? 'DemoChannel',
    mvpdId: input.mvpd,
    code: null,
    sessionId: randomBytes(16).toString('hex'),
    attributes: { userID: { value: user, state: 'plain' } },
    upstream: {
      subject: user,
      entitlements: input.entitlements ?? ['DemoChannel'],
      householdId: input.householdId === undefined ? 'household-1' : input.householdId,
      idToken: input.idToken ?? null,
    },
    notBefore: now - 1000,
    notAfter: input.notAfter ?? now + 3_600_000,
  });
}

/** Signs `user` in at a demo MVPD in `agent` (password = user name); answers the ID token. */
export async function demoMvpdLogin(server: TestServer, agent: UserAgent, mvpdId: string, user: string) {
  const mvpd = await server.domus.entitlements.store.mvpd(mvpdId);
  assert.ok(mvpd, `MVPD ${mvpdId}`);
  const connector = new OidcConnectors({ publicRoot: () => server.url }).for(mvpd);
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const codeVerifier = createCodeVerifier();
  const authorizationUrl = await connector.authorizationUrl({ state, nonce, codeVerifier });
  const reached = await walkLogin(agent, authorizationUrl, user, (url) => url.startsWith(connector.redirectUri));
  assert.equal(typeof reached, 'string', 'the MVPD redirects to the callback');
  const params = new URL(reached as string).searchParams;
  assert.equal(params.get('state'), state);
  const login = await connector.exchangeCode(connector.readCallback(params), codeVerifier, nonce);
  return login.idToken;
}

/**
 * Signs `user` in at a demo MVPD the way an app does, through Domus's own flow: create a session,
 * open its authenticate URL in `agent`, sign in at the MVPD (password = user name), arrive at
 * `redirectUrl`. Afterwards the device holds a profile.
 */
export async function signInThroughDomus(
  server: Pick<TestServer, 'url'>,
  agent: UserAgent,
  request: { token: string; headers: Record<string, string>; mvpd: string; user: string; redirectUrl?: string },
) {
  const redirectUrl = request.redirectUrl ?? 'http://localhost:3000/signed-in';
  const session = await call(server.url, 'POST', '/api/v2/DemoChannel/sessions', {
    token: request.token,
    headers: request.headers,
    form: { mvpd: request.mvpd, domainName: 'localhost', redirectUrl },
  });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  assert.equal(session.body.actionName, 'authenticate');
  const authenticateUrl = new URL(session.body.url, server.url).href;
  const reached = await walkLogin(agent, authenticateUrl, request.user, (url) => url.startsWith(redirectUrl));
  assert.equal(reached, redirectUrl, 'back at the app');
}
