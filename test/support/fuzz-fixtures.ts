/**
 * The fuzz test's fixtures (support/fuzz.ts): live data on a test server started with the demo
 * data — a registered client and its token, a signed-in device, a session, a pending logout, a
 * machine in an anonymous and an identity domain, operator objects — and what the templates
 * share to build requests from them.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { simulatedComponents } from '../../src/device/hardware.js';
import { signEs256 } from '../../src/platform/crypto/es256.js';
import type { Draft } from './fuzz-cases.js';
import { individualize, messageId, nowSeconds, post, protocolUrl, type TestMachine } from './machines.js';
import { call, fetchToken, registerClient, softwareStatement } from './pass-client.js';
import type { TestServer } from './server.js';
import { device, saveProfile, signInThroughDomus } from './stored-profiles.js';
import { UserAgent } from './user-agent.js';

export const SP = 'DemoChannel';
export const MVPD = 'DemoCable';
export const APP_URL = 'http://localhost:3000/fuzzed';

export interface Fixtures {
  statement: string;
  client: { client_id: string; client_secret: string };
  token: string;
  adminToken: string;
  deviceHeaders: Record<string, string>;
  sessionCode: string;
  logoutState: string;
  machine: TestMachine;
  anonymousDomain: string;
  identityToken: string;
  indivKey: { privateKey: KeyObject; jwk: Record<string, unknown> };
  applicationId: string;
  demoClient: { clientId: string; clientSecret: string };
  publicRoot: string;
}

/** Makes the fixtures on a server started with the demo data; nothing purgeable stays behind. */
export async function makeFixtures(server: TestServer): Promise<Fixtures> {
  const statement = await softwareStatement(server.admin);
  const client = await registerClient(server.url, statement);
  const token = await fetchToken(server.url, client);
  for (const mvpd of ['DemoCable', 'DemoSat']) {
    const discovery = await fetch(`${server.url}/demo-mvpd/${mvpd}/.well-known/openid-configuration`);
    if (discovery.status !== 200) throw new Error(`demo provider ${mvpd}: ${discovery.status}`);
  }
  const tv = device('fuzz-tv');
  await signInThroughDomus(server, new UserAgent(), { token, headers: tv.headers, mvpd: MVPD, user: 'alice' });
  const session = await call(server.url, 'POST', `/api/v2/${SP}/sessions`, {
    token,
    headers: tv.headers,
    form: { mvpd: 'DemoSat', domainName: 'localhost', redirectUrl: APP_URL },
  });
  if (session.status !== 200) throw new Error(`session: ${JSON.stringify(session.body)}`);
  const phone = device('fuzz-phone');
  await saveProfile(server, { clientId: client.client_id, deviceId: phone.deviceId, mvpd: MVPD, idToken: 'a.b.c' });
  const logout = await call(
    server.url,
    'GET',
    `/api/v2/${SP}/logout/${MVPD}?redirectUrl=${encodeURIComponent(APP_URL)}`,
    {
      token,
      headers: phone.headers,
    },
  );
  const logoutUrl: string | undefined = logout.body?.logouts?.[MVPD]?.url;
  if (!logoutUrl) throw new Error(`logout: ${JSON.stringify(logout.body)}`);

  const machine = await individualize(server.url, simulatedComponents(`fuzz-${randomBytes(4).toString('hex')}`));
  const anonymousDomain = 'fuzz-domain';
  const identityToken = await server.domus.localIssuer.mint({
    subject: 'fuzz',
    namespace: 'fuzz.example',
    ttlSeconds: 86_400,
  });
  const sign = (payload: Record<string, unknown>) =>
    signEs256({ typ: 'domus-domain+jws' }, payload, machine.privateKey);
  const base = { ver: 5, op: 'join', mt: machine.machineToken, iat: nowSeconds() };
  for (const [url, payload] of [
    [protocolUrl(server.url, 'join', { anonymous: anonymousDomain }), { ...base, mid: messageId() }],
    [protocolUrl(server.url, 'join', {}), { ...base, mid: messageId(), at: identityToken }],
  ] as const) {
    const joined = await post(url, sign(payload));
    if (joined.status !== 200) throw new Error(`join: ${JSON.stringify(joined.body)}`);
  }

  if ((await server.admin('PUT', '/service-providers/FuzzSP', { displayName: 'Fuzz' })).status !== 201) {
    throw new Error('service provider');
  }
  const app = await server.admin('POST', '/applications', {
    name: 'fuzz',
    serviceProviders: ['FuzzSP'],
    redirectDomains: ['fuzz.example'],
  });
  const mvpd = await server.domus.entitlements.store.mvpd(MVPD);
  if (mvpd?.connection.kind !== 'builtin') throw new Error('demo MVPD');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Message ids are forgotten after the replay window: none may be purged during a run.
  await sql`delete from seen_messages`.execute(server.domus.storage.db);
  return {
    statement,
    client,
    token,
    adminToken: server.adminToken,
    deviceHeaders: tv.headers,
    sessionCode: session.body.code,
    logoutState: logoutUrl.split('/').at(-1) ?? '',
    machine,
    anonymousDomain,
    identityToken,
    indivKey: { privateKey, jwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown> },
    applicationId: app.body.id,
    demoClient: { clientId: mvpd.connection.clientId, clientSecret: mvpd.connection.clientSecret },
    publicRoot: server.url,
  };
}

/** A draft from a path pattern (`:name` segments are parameters, given in `params`). */
export function draft(
  method: string,
  pattern: string,
  params: Record<string, string>,
  rest: Partial<Omit<Draft, 'method' | 'segments' | 'params'>> = {},
): Draft {
  const segments: string[] = [];
  const indexes: number[] = [];
  for (const part of pattern.split('/').slice(1)) {
    if (part.startsWith(':')) {
      indexes.push(segments.length);
      segments.push(encodeURIComponent(params[part.slice(1)] ?? ''));
    } else segments.push(part);
  }
  return { method, segments, params: indexes, query: [], headers: {}, body: { kind: 'none' }, ...rest };
}
export const query = (values: Record<string, string>) =>
  Object.entries(values).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);

/** What the templates share: auth headers and the signed bodies of the domain protocol. */
export function helpers(f: Fixtures) {
  const bearer = () => ({ authorization: `Bearer ${f.token}` });
  const admin = () => ({ authorization: `Bearer ${f.adminToken}` });
  const v2 = (withDevice: boolean) => ({ ...bearer(), ...(withDevice ? { ...f.deviceHeaders } : {}) });
  const jose = (payload: () => Record<string, unknown>) => () => ({
    kind: 'jose' as const,
    header: { typ: 'domus-domain+jws' },
    payload: payload(),
    key: f.machine.privateKey,
  });
  const domainPayload = (extra: Record<string, unknown>) => () => ({
    ver: 5,
    op: 'join',
    mt: f.machine.machineToken,
    mid: messageId(),
    iat: nowSeconds(),
    ...extra,
  });
  const anon = { name: f.anonymousDomain };
  const sp = { sp: SP, mvpd: MVPD };
  const policy = { authRequired: false, authNamespace: null, maxMembership: 5, disabled: false };
  const mvpdBody = {
    displayName: 'Fuzz Cable',
    logoUrl: 'https://fuzz.example/logo.png',
    protocol: 'oidc',
    connection: { kind: 'builtin' },
    hasLogoutEndpoint: true,
    authnTtlS: 3600,
    authzTtlS: 60,
    entitlementClaim: 'channels',
    authNamespace: 'fuzz.example',
  };
  const application = { name: 'fuzz', serviceProviders: ['FuzzSP'], redirectDomains: ['fuzz.example'] };
  return { bearer, admin, v2, jose, domainPayload, anon, sp, policy, mvpdBody, application };
}
