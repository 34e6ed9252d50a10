/**
 * JSON over HTTP to an MVPD, with a deadline on every call and failures turned into MvpdError.
 * The fetch function is injected: tests (and an in-process demo provider) can swap it.
 */
import { MvpdError } from './errors.js';

export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
  fetch: Fetch;
  /** Deadline of one call, headers and body together. */
  timeoutMs: number;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** Sends a request and reads a JSON answer (any status); network failures and timeouts throw. */
export async function requestJson(
  http: HttpOptions,
  url: string,
  init: RequestInit,
  what: string,
): Promise<JsonAnswer> {
  const signal = AbortSignal.timeout(http.timeoutMs);
  let response: Response;
  try {
    response = await http.fetch(url, { ...init, signal, redirect: 'manual' });
  } catch (error) {
    throw networkError(error, what);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw networkError(error, what);
  }
  if (text === '') return { status: response.status, body: undefined };
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch (error) {
    throw new MvpdError('invalid_response', `${what}: the answer (HTTP ${response.status}) is not JSON`, undefined, {
      cause: error,
    });
  }
}

/** Like requestJson, but only a 2xx answer with a JSON object body is accepted. */
export async function requestJsonObject(
  http: HttpOptions,
  url: string,
  init: RequestInit,
  what: string,
): Promise<Record<string, unknown>> {
  const answer = await requestJson(http, url, init, what);
  if (answer.status < 200 || answer.status > 299) {
    const oauthError = oauthErrorCode(answer.body);
    throw new MvpdError(
      oauthError ? 'oauth_error' : 'http_status',
      `${what}: HTTP ${answer.status}${oauthError ? ` (${oauthError})` : ''}`,
      oauthError,
    );
  }
  if (!isObject(answer.body)) throw new MvpdError('invalid_response', `${what}: the answer is not a JSON object`);
  return answer.body;
}

export function networkError(error: unknown, what: string): MvpdError {
  if (error instanceof MvpdError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new MvpdError('timeout', `${what}: no answer in time`, undefined, { cause: error });
  }
  return new MvpdError('unreachable', `${what}: cannot connect`, undefined, { cause: error });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The OAuth `error` code of an error body, when well-formed. */
export function oauthErrorCode(body: unknown): string | undefined {
  if (!isObject(body) || typeof body.error !== 'string') return undefined;
  // Only a well-formed OAuth error code is passed on (RFC 6749 §5.2 character set, bounded).
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(body.error) ? body.error : undefined;
}
