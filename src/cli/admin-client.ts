/**
 * The HTTP side of `domus admin`: where the server is, which admin token to send, one call to
 * the admin API under `/admin/v1`, and lists followed through their `nextCursor`. Nothing here
 * validates the operator model: the server's route schemas do, and their answers are passed on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Config, loadConfig } from '../platform/config.js';
import { ADMIN_TOKEN_FILE } from '../platform/keys/secrets.js';
import { listenerUrl } from '../platform/ops/management.js';
import { UsageError } from './admin-input.js';

/** The admin token's file in the data directory (written by the server, platform/keys/secrets.ts). */
const TIMEOUT_MS = 30_000;
/** The largest page the list routes give: what following a cursor asks for by default. */
const FOLLOW_PAGE_SIZE = '500';
const MAX_PAGES = 100_000;

/** A failure before or instead of an answer: no token, server unreachable, an unusable answer. */
export class AdminCliError extends Error {
  override name = 'AdminCliError';
}

/** The server refused: its status and, when it sent the admin error shape, its code and message. */
export class AdminHttpError extends Error {
  override name = 'AdminHttpError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly detail: string,
  ) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}: ${detail}`);
  }
}

export interface AdminTarget {
  /** The server's public root, without a trailing slash. */
  baseUrl: string;
  token: string;
  /** Where the token came from, for messages (never the token itself). */
  tokenSource: string;
}

/**
 * Base URL: `url`, else the management listener when DOMUS_MANAGEMENT_ADMIN serves the admin API
 * there, else DOMUS_PUBLIC_URL, else http://localhost:{DOMUS_PORT}. Token: the file
 * `tokenFile`, else DOMUS_ADMIN_TOKEN, else `admin-token` in DOMUS_DATA_DIR. The configuration is
 * read only when an option leaves something to it, so a bad unrelated variable does not get in
 * the way of `--url … --token-file …`.
 */
export function resolveTarget(options: { url?: string; tokenFile?: string }): AdminTarget {
  let config: Config | undefined;
  const env = () => {
    config ??= loadConfig();
    return config;
  };
  const baseUrl = options.url === undefined ? configuredUrl(env()) : checkUrl(options.url);
  if (options.tokenFile !== undefined) {
    return { baseUrl, token: readTokenFile(options.tokenFile), tokenSource: path.resolve(options.tokenFile) };
  }
  const fromEnv = env().adminToken;
  if (fromEnv) return { baseUrl, token: fromEnv, tokenSource: 'DOMUS_ADMIN_TOKEN' };
  const file = path.join(env().dataDir, ADMIN_TOKEN_FILE);
  if (!fs.existsSync(file)) {
    throw new AdminCliError(
      `no admin token: DOMUS_ADMIN_TOKEN is not set and ${file} does not exist ` +
        '(set DOMUS_DATA_DIR to the data directory of the server, set DOMUS_ADMIN_TOKEN, or pass --token-file)',
    );
  }
  return { baseUrl, token: readTokenFile(file), tokenSource: file };
}

function configuredUrl(config: Config): string {
  if (config.managementAdmin) return listenerUrl(config.managementHost, config.managementPort);
  return config.publicUrl ?? `http://localhost:${config.port}`;
}

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be an http or https URL, got "${raw}"`);
  }
  if (url.search || url.hash) throw new UsageError('--url must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function readTokenFile(file: string): string {
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AdminCliError(`cannot read the admin token file ${path.resolve(file)} (${reason})`);
  }
  if (!token) throw new AdminCliError(`the admin token file ${path.resolve(file)} is empty`);
  return token;
}

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
export type Query = Record<string, string | undefined>;

/** One admin call. Resolves to the answer's JSON, or undefined for an empty answer (204). */
export async function adminCall(
  target: AdminTarget,
  method: Method,
  pathname: string,
  options: { query?: Query; body?: unknown } = {},
): Promise<unknown> {
  const url = new URL(`${target.baseUrl}/admin/v1${pathname}`);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new AdminCliError(`cannot reach ${target.baseUrl}: ${cause?.message ?? (error as Error).message}`);
  }
  const text = await response.text();
  const json = parseJson(text);
  if (!response.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (typeof error?.message === 'string') {
      const hint = response.status === 401 ? ` (token from ${target.tokenSource})` : '';
      throw new AdminHttpError(response.status, String(error.code ?? ''), `${error.message}${hint}`);
    }
    const detail = text.trim().slice(0, 300) || response.statusText;
    throw new AdminHttpError(response.status, undefined, `${detail} (from ${url.origin}${url.pathname})`);
  }
  if (text.trim() === '') return undefined;
  if (json === undefined) {
    throw new AdminCliError(`${url.origin}${url.pathname} answered ${response.status} without JSON: is it Domus?`);
  }
  return json;
}

/**
 * A paginated list route (`{ items, nextCursor }`) read to its end, as one `{ items, nextCursor:
 * null }`.
 */
export async function adminListAll(
  target: AdminTarget,
  pathname: string,
  query: Query = {},
  pageSize = FOLLOW_PAGE_SIZE,
): Promise<unknown> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = (await adminCall(target, 'GET', pathname, {
      query: { ...query, limit: pageSize, cursor },
    })) as { items?: unknown; nextCursor?: unknown } | undefined;
    if (!Array.isArray(page?.items)) throw new AdminCliError(`${pathname} did not answer a list`);
    items.push(...page.items);
    if (typeof page.nextCursor !== 'string' || page.nextCursor === '') return { items, nextCursor: null };
    if (page.nextCursor === cursor) throw new AdminCliError(`${pathname}: the server repeated its cursor`);
    cursor = page.nextCursor;
  }
  throw new AdminCliError(`${pathname}: more than ${MAX_PAGES} pages; use --limit and --cursor`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
