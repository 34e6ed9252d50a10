/**
 * A small client of the entitlement API for tests: DCR with the demo application's software
 * statement, the device headers, and calls that return status, headers and JSON body.
 */
import type { AdminCall } from './admin-client.js';

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  body: any;
}

export async function call(
  url: string,
  method: string,
  pathname: string,
  options: { token?: string; headers?: Record<string, string>; json?: unknown; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(`${url}${pathname}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export const DEVICE_INFO = {
  primaryHardwareType: 'MobilePhone',
  model: 'iPhone',
  version: '15.2',
  manufacturer: 'Apple',
  osName: 'iOS',
  osVersion: '17.4',
  connectionType: 'WiFi',
};

/** X-Device-Info for `info` (the demo device by default). */
export const deviceInfoHeader = (info: object = DEVICE_INFO) => Buffer.from(JSON.stringify(info)).toString('base64');

/** AP-Device-Identifier for a device id (the sample of Adobe's documentation by default). */
export const deviceIdentifierHeader = (id = 'ba23d141-d715-561c-94f4-e9e4c966b1eb') =>
  `fingerprint ${Buffer.from(id).toString('base64')}`;

export async function softwareStatement(admin: AdminCall, applicationId = 'demo-app'): Promise<string> {
  const answer = await admin('GET', `/applications/${applicationId}/software-statement`);
  if (answer.status !== 200) throw new Error(`no software statement for ${applicationId}: ${answer.status}`);
  return answer.body.software_statement;
}

export async function registerClient(url: string, statement: string, redirectUri?: string) {
  const answer = await call(url, 'POST', '/o/client/register', {
    json: { software_statement: statement, ...(redirectUri && { redirect_uri: redirectUri }) },
    headers: { 'x-device-info': deviceInfoHeader() },
  });
  if (answer.status !== 201) throw new Error(`registration failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { client_id: answer.body.client_id as string, client_secret: answer.body.client_secret as string };
}

export async function fetchToken(url: string, client: { client_id: string; client_secret: string }): Promise<string> {
  const answer = await call(url, 'POST', '/o/client/token', {
    form: { ...client, grant_type: 'client_credentials' },
  });
  if (answer.status !== 201) throw new Error(`token failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.access_token;
}

/** Registers a client of the application and answers an access token for it. */
export async function accessToken(url: string, admin: AdminCall, applicationId = 'demo-app') {
  const client = await registerClient(url, await softwareStatement(admin, applicationId));
  return { client, token: await fetchToken(url, client) };
}
