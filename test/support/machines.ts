/**
 * Test machines that speak the domain protocol by hand, so tests can send well-formed requests
 * and every kind of broken one.
 */
import { type KeyObject, randomBytes } from 'node:crypto';
import { simulatedComponents } from '../../src/device/hardware.js';
import { signEs256 } from '../../src/platform/crypto/es256.js';
import { newP256KeyPair } from '../../src/platform/crypto/p256.js';

export interface TestMachine {
  guid: string;
  machineToken: string;
  components: string[];
  privateKey: KeyObject;
}

export const messageId = () => randomBytes(18).toString('base64url');
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The signed body of an individualization request of a new machine, and the machine's key. */
export function individualizationRequest(components: string[] = simulatedComponents(messageId())) {
  const pair = newP256KeyPair();
  const body = signEs256(
    { typ: 'domus-indiv+jws', jwk: pair.publicKey.export({ format: 'jwk' }) },
    { components, iat: nowSeconds(), mid: messageId() },
    pair.privateKey,
  );
  return { body, components, privateKey: pair.privateKey };
}

/** Individualizes a new machine (one app install) over HTTP. */
export async function individualize(
  url: string,
  components: string[] = simulatedComponents(messageId()),
): Promise<TestMachine> {
  const { body, privateKey } = individualizationRequest(components);
  const response = await fetch(`${url}/flashaccess/indiv/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body,
  });
  if (response.status !== 200) throw new Error(`individualization failed: ${response.status} ${await response.text()}`);
  const answer = (await response.json()) as { machineToken: string; guid: string };
  return { ...answer, components, privateKey };
}

export interface RequestFields {
  ver?: number;
  op?: string;
  mt?: string;
  mid?: string;
  iat?: number;
  at?: string;
  dn?: string;
  phase?: string;
  [extra: string]: unknown;
}

/** A signed domain request body; `fields` override the defaults (undefined removes a field). */
export function domainRequest(
  machine: TestMachine,
  fields: RequestFields = {},
  options: { signWith?: KeyObject; header?: Record<string, unknown> } = {},
): string {
  const payload: Record<string, unknown> = {
    ver: 5,
    op: 'join',
    mt: machine.machineToken,
    mid: messageId(),
    iat: nowSeconds(),
    ...fields,
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  return signEs256({ typ: 'domus-domain+jws', ...options.header }, payload, options.signWith ?? machine.privateKey);
}

/** Paths of the protocol for a mode and protocol version. */
export function protocolUrl(
  url: string,
  op: 'join' | 'leave' | 'members' | 'remove',
  target: { anonymous?: string },
  ver: 3 | 5 = 5,
): string {
  const base = target.anonymous ? `${url}/flashaccess/domainserver/${encodeURIComponent(target.anonymous)}` : url;
  const segment = { join: 'domain', leave: 'dereg', members: 'members', remove: 'remove' }[op];
  return `${base}/flashaccess/${segment}/${ver === 5 ? 'v4' : 'v3'}`;
}

export async function post(url: string, body: string, contentType = 'application/jose') {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  return { status: response.status, headers: response.headers, body: (await response.json().catch(() => null)) as any };
}
