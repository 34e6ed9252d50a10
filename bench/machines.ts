/**
 * Devices for the benchmark: individualized over HTTP like real ones, with their signed join
 * requests prepared ahead of the timed phases (requests as test/support/machines.ts signs them).
 */
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { simulatedComponents } from '../src/device/hardware.js';
import { signEs256 } from '../src/platform/crypto/es256.js';
import { domainRequest, messageId, nowSeconds, type TestMachine } from '../test/support/machines.js';
import { josePost, type PreparedRequest } from './load.js';

export type { TestMachine };

/** A new EC P-256 machine key and its public JWK. */
export function newMachineKey(): { privateKey: KeyObject; publicJwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) };
}

/** Individualizes one new machine (one app install) over HTTP. */
export async function individualize(url: string): Promise<TestMachine> {
  const { privateKey, publicJwk } = newMachineKey();
  const components = simulatedComponents(messageId());
  const body = signEs256(
    { typ: 'domus-indiv+jws', jwk: publicJwk },
    { components, iat: nowSeconds(), mid: messageId() },
    privateKey,
  );
  const response = await fetch(`${url}/flashaccess/indiv/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`individualization failed: ${response.status} ${text}`);
  const answer = JSON.parse(text) as { machineToken: string; guid: string };
  return { ...answer, components, privateKey };
}

/** Path of a protocol-5 join into the anonymous domain `name`. */
export function joinPath(name: string): string {
  return `/flashaccess/domainserver/${encodeURIComponent(name)}/flashaccess/domain/v4`;
}

/** Individualizes `count` new machines, `concurrency` at a time. */
export async function individualizeMany(url: string, count: number, concurrency = 8): Promise<TestMachine[]> {
  const machines: TestMachine[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      machines.push(await individualize(url));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return machines;
}

/** `count` join requests into `domain`, each freshly signed (new mid and iat), cycling through `machines`. */
export function prepareJoins(machines: readonly TestMachine[], domain: string, count: number): PreparedRequest[] {
  const path = joinPath(domain);
  return Array.from({ length: count }, (_, i) =>
    josePost(path, domainRequest(machines[i % machines.length] as TestMachine)),
  );
}

export interface JoinAnswer {
  member: { guid: string; members: number };
  credentials: { keyVersion: number }[];
}

/** One join, checked: the benchmark measures only requests that succeed. */
export async function joinOnce(url: string, machine: TestMachine, domain: string): Promise<JoinAnswer> {
  const response = await fetch(`${url}${joinPath(domain)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body: domainRequest(machine),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`join into ${domain} failed: ${response.status} ${text}`);
  return JSON.parse(text) as JoinAnswer;
}

/** Joins every machine once, `concurrency` at a time; returns the last answer. */
export async function joinAll(
  url: string,
  machines: readonly TestMachine[],
  domain: string,
  concurrency = 4,
): Promise<JoinAnswer | undefined> {
  let next = 0;
  let last: JoinAnswer | undefined;
  const worker = async () => {
    while (next < machines.length) {
      last = await joinOnce(url, machines[next++] as TestMachine, domain);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return last;
}
