/**
 * The entitlement API under load, against one `domus serve` child (demo data, throttle off):
 * `POST /api/v2/DemoChannel/decisions/authorize/DemoCable` and
 * `GET /api/v2/DemoChannel/logout/DemoCable`, next to a trivial fastify route measured in the
 * same run.
 *
 * The demo application's client registers (DCR) and gets its access token over HTTP; the
 * viewers' profiles are written straight into the server's database before each timed phase
 * (the benchmark opens the same database with the same master key), as a sign-in through the
 * MVPD would leave them. Every authorize answer must be a permit with a media token, every
 * logout answer `logout`/`interactive`: a logout deletes its profile, so each logout request is
 * a device of its own. Then the same requests' work floor (bench/work-floor-server.ts) on
 * the same database: the rate their own work alone allows.
 */
import { randomUUID } from 'node:crypto';
import { ProfileStore } from '../src/entitlements/profiles/profile-store.js';
import type { DatabaseTarget } from '../src/platform/config.js';
import { Sealer } from '../src/platform/crypto/sealing.js';
import { openStorage } from '../src/platform/storage/database.js';
import { deviceInfoHeader } from '../test/support/pass-client.js';
import { type CpuUse, cpuMeter } from './cpu.js';
import { assertClean, type LoadResult, type PreparedRequest, runLoad } from './load.js';
import type { Settings } from './scenarios.js';
import { type ChildServer, type DomusServer, startFastify, startWorkFloor } from './server-process.js';

export const SERVICE_PROVIDER = 'DemoChannel';
const MVPD = 'DemoCable';
const APPLICATION = 'demo-app';
export const AUTHORIZE_PATH = `/api/v2/${SERVICE_PROVIDER}/decisions/authorize/${MVPD}`;
const LOGOUT_PATH = `/api/v2/${SERVICE_PROVIDER}/logout/${MVPD}?redirectUrl=${encodeURIComponent('http://localhost/done')}`;
/** Devices with a profile that the authorize requests go round. */
const AUTHORIZE_DEVICES = 1000;
/** Profiles (one per request) for the logout warm-up, which ends earlier if its time is up. */
const LOGOUT_WARMUP_PROFILES = 4000;
const DEVICE_INFO = deviceInfoHeader();

export interface Measured {
  result: LoadResult;
  cpu: CpuUse;
}

export interface EntitlementResult {
  /** Authorize without an access token: the API edge alone (routing, headers, the 401), no database, no crypto. */
  edge: Measured;
  authorize: Measured;
  logout: Measured;
  /** The same requests' own work (database and cryptography) alone, behind a bare fastify route (bench/work-floor-server.ts). */
  floor: { authorize: Measured; logout: Measured };
  /** Profiles written into the database for the run, and how long writing them took. */
  profiles: number;
  profileWriteMs: number;
}

/** The trivial fastify route, with the same load and connections as the entitlement API. */
export async function measureFastify(s: Settings): Promise<Measured> {
  const server = await startFastify();
  try {
    const request: PreparedRequest = { method: 'GET', path: '/', headers: {} };
    const source = (i: number) => (i < 2_000_000 ? request : undefined);
    return await measure(server, source, s, 'trivial fastify route');
  } finally {
    await server.stop();
  }
}

async function measure(
  server: Pick<ChildServer, 'url' | 'pid'>,
  source: (i: number) => PreparedRequest | undefined,
  s: Settings,
  what: string,
  verify?: (body: Buffer) => boolean,
  expectStatus?: number,
): Promise<Measured> {
  const load = (from: (i: number) => PreparedRequest | undefined, maxMs: number) =>
    runLoad({ origin: server.url, source: from, concurrency: s.concurrency, maxMs, verify, expectStatus });
  assertClean(`${what} warm-up`, await load(source, s.warmupMs));
  const meter = cpuMeter(server.pid);
  const result = await load(source, s.measureMs);
  const cpu = meter();
  assertClean(what, result);
  return { result, cpu };
}

const deviceHeader = (deviceId: string) => `fingerprint ${Buffer.from(deviceId).toString('base64')}`;

async function json(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/** DCR with the demo application's software statement, then an access token: over HTTP. */
export async function registerDemoClient(server: DomusServer): Promise<{ clientId: string; token: string }> {
  const statement = await server.admin('GET', `/applications/${APPLICATION}/software-statement`);
  if (statement.status !== 200) throw new Error(`no software statement for ${APPLICATION}: ${statement.status}`);
  const registered = await json(`${server.url}/o/client/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-device-info': DEVICE_INFO },
    body: JSON.stringify({ software_statement: statement.body.software_statement }),
  });
  const client = registered.body as { client_id?: string; client_secret?: string };
  if (registered.status !== 201 || !client.client_id || !client.client_secret) {
    throw new Error(`client registration failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  }
  const issued = await json(`${server.url}/o/client/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: client.client_id,
      client_secret: client.client_secret,
      grant_type: 'client_credentials',
    }).toString(),
  });
  const token = (issued.body as { access_token?: string }).access_token;
  if (issued.status !== 201 || !token)
    throw new Error(`access token failed: ${issued.status} ${JSON.stringify(issued.body)}`);
  return { clientId: client.client_id, token };
}

/** Writes a valid DemoCable profile entitled to DemoChannel for each device, in one transaction. */
export async function writeProfiles(target: DatabaseTarget, masterKey: Buffer, clientId: string, deviceIds: string[]) {
  const storage = openStorage(target, 1);
  try {
    const sealer = new Sealer(masterKey);
    const now = Date.now();
    await storage.db.transaction().execute(async (trx) => {
      const profiles = new ProfileStore(trx, sealer, storage.dialect);
      for (const deviceId of deviceIds) {
        await profiles.save({
          clientId,
          deviceId: Buffer.from(deviceId).toString('base64'),
          serviceProviderId: SERVICE_PROVIDER,
          mvpdId: MVPD,
          code: null,
          sessionId: randomUUID(),
          attributes: {
            userID: { value: `user-${deviceId}`, state: 'plain' },
            upstreamUserID: { value: `user-${deviceId}`, state: 'plain' },
          },
          upstream: {
            subject: `user-${deviceId}`,
            entitlements: [SERVICE_PROVIDER],
            householdId: null,
            idToken: `bench-id-token-${deviceId}`,
          },
          notBefore: now,
          notAfter: now + 86_400_000,
        });
      }
    });
  } finally {
    await storage.close();
  }
}

export const deviceIds = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

export function prepare(
  method: 'GET' | 'POST',
  path: string,
  token: string,
  deviceId: string,
  body?: Buffer,
): PreparedRequest {
  return {
    method,
    path,
    headers: {
      authorization: `Bearer ${token}`,
      'ap-device-identifier': deviceHeader(deviceId),
      'x-device-info': DEVICE_INFO,
      ...(body && { 'content-type': 'application/json', 'content-length': body.length }),
    },
    body,
  };
}

export function isPermit(body: Buffer): boolean {
  try {
    const decisions = JSON.parse(body.toString('utf8')).decisions;
    const decision = Array.isArray(decisions) && decisions.length === 1 ? decisions[0] : undefined;
    return (
      decision?.authorized === true &&
      decision.resource === SERVICE_PROVIDER &&
      typeof decision.token?.serializedToken === 'string' &&
      decision.token.serializedToken.length > 0
    );
  } catch {
    return false;
  }
}

function isInteractiveLogout(body: Buffer): boolean {
  try {
    const logout = JSON.parse(body.toString('utf8')).logouts?.[MVPD];
    return logout?.actionName === 'logout' && logout.actionType === 'interactive' && typeof logout.url === 'string';
  } catch {
    return false;
  }
}

/** One request outside the load, so a refusal is reported with its whole answer. */
async function probe(server: DomusServer, request: PreparedRequest, check: (body: Buffer) => boolean, what: string) {
  const response = await fetch(server.url + request.path, {
    method: request.method,
    headers: Object.fromEntries(
      Object.entries(request.headers)
        .filter(([k]) => k !== 'content-length')
        .map(([k, v]) => [k, String(v)]),
    ),
    body: request.body?.toString('utf8'),
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200 || !check(body)) {
    throw new Error(
      `${what} probe: expected 200 and the right answer, got ${response.status} ${body.toString('utf8')}`,
    );
  }
}

/**
 * Authorize, then logout, on `server` (started with DOMUS_DEMO=true, DOMUS_THROTTLE=off and
 * `masterKey`; its database is `target`).
 */
export async function measureEntitlements(
  server: DomusServer,
  target: DatabaseTarget,
  masterKey: Buffer,
  s: Settings,
): Promise<EntitlementResult> {
  const { clientId, token } = await registerDemoClient(server);
  let profiles = 0;
  let profileWriteMs = 0;
  const write = async (ids: string[]) => {
    const started = performance.now();
    await writeProfiles(target, masterKey, clientId, ids);
    profileWriteMs += performance.now() - started;
    profiles += ids.length;
  };

  // The API edge: authorize without an access token, refused with 401 before any database or crypto.
  const resources = Buffer.from(JSON.stringify({ resources: [SERVICE_PROVIDER] }));
  const anonymous = prepare('POST', AUTHORIZE_PATH, '', 'edge-device', resources);
  delete anonymous.headers.authorization;
  s.log('  authorize without an access token (the API edge)');
  const edge = await measure(server, (i) => (i < 2_000_000 ? anonymous : undefined), s, 'API edge', undefined, 401);

  // Authorize: the same devices again and again; each answer a permit with a media token.
  const authorizeDevices = deviceIds('authorize', AUTHORIZE_DEVICES);
  await write(authorizeDevices);
  const authorizeRequests = authorizeDevices.map((id) => prepare('POST', AUTHORIZE_PATH, token, id, resources));
  await probe(server, authorizeRequests[0] as PreparedRequest, isPermit, 'authorize');
  const authorizeSource = (i: number) => (i < s.maxRequests ? authorizeRequests[i % AUTHORIZE_DEVICES] : undefined);
  s.log(`  authorize: ${AUTHORIZE_DEVICES} devices with a profile`);
  const authorize = await measure(server, authorizeSource, s, 'authorize', isPermit);

  const logoutRequest = (id: string) => prepare('GET', LOGOUT_PATH, token, id);
  await write(['logout-probe']);
  await probe(server, logoutRequest('logout-probe'), isInteractiveLogout, 'logout');
  const logout = await measureLogouts(server, logoutRequest, 'logout', write, s, isInteractiveLogout);

  // The work floor, on the same database and profiles written the same way.
  const floorServer = await startWorkFloor({
    target,
    masterKey: masterKey.toString('base64'),
    clientId,
    serviceProvider: SERVICE_PROVIDER,
    mvpd: MVPD,
  });
  try {
    const floorGet = (path: string): PreparedRequest => ({ method: 'GET', path, headers: {} });
    const floorAuthorizeRequests = authorizeDevices.map((id) => floorGet(`/authorize/${encodeURIComponent(id)}`));
    s.log('  work floor: authorize');
    const floorAuthorize = await measure(
      floorServer,
      (i) => (i < s.maxRequests ? floorAuthorizeRequests[i % AUTHORIZE_DEVICES] : undefined),
      s,
      'work floor: authorize',
    );
    const floorLogout = await measureLogouts(
      floorServer,
      (id) => floorGet(`/logout/${encodeURIComponent(id)}`),
      'floor-logout',
      write,
      s,
    );
    return {
      edge,
      authorize,
      logout,
      floor: { authorize: floorAuthorize, logout: floorLogout },
      profiles,
      profileWriteMs,
    };
  } finally {
    await floorServer.stop();
  }
}

/**
 * Logouts on `server`, one device (and profile) per request (a logout deletes its profile):
 * `write` stores the profiles of the warm-up, whose rate then sizes the timed run.
 */
async function measureLogouts(
  server: Pick<ChildServer, 'url' | 'pid'>,
  request: (deviceId: string) => PreparedRequest,
  prefix: string,
  write: (deviceIds: string[]) => Promise<void>,
  s: Settings,
  verify?: (body: Buffer) => boolean,
): Promise<Measured> {
  const warmupDevices = deviceIds(`${prefix}-warmup`, LOGOUT_WARMUP_PROFILES);
  await write(warmupDevices);
  const load = (requests: PreparedRequest[], maxMs: number) =>
    runLoad({ origin: server.url, source: (i) => requests[i], concurrency: s.concurrency, maxMs, verify });
  const warmup = await load(warmupDevices.map(request), s.warmupMs);
  assertClean(`${prefix} warm-up`, warmup);
  const count = Math.min(s.maxRequests, Math.ceil((warmup.perSecond * s.measureMs * 1.5) / 1000));
  const devices = deviceIds(prefix, count);
  s.log(`  ${prefix}: writing ${count} profiles, one per request`);
  await write(devices);
  const requests = devices.map(request);
  const meter = cpuMeter(server.pid);
  const result = await load(requests, s.measureMs);
  const cpu = meter();
  assertClean(prefix, result);
  return { result, cpu };
}
