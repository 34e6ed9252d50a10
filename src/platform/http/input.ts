/**
 * Input no route may see, refused in one place for every route (issue 9): each refusal is an
 * `InputError` (HTTP 400), thrown from a hook of the root scope, so the error handler of the
 * route's own scope renders it in that wire format's error shape.
 *
 * - URLs: every percent-escape must decode to UTF-8 (path and query), and nothing may decode to
 *   NUL, which PostgreSQL text cannot hold. A path the router itself cannot decode (fastify's
 *   FST_ERR_BAD_URL) is routed again with the bad escapes replaced, marked as refused, so it too
 *   reaches its route's error handler instead of fastify's own answer.
 * - Bodies (after parsing, before schema validation): no string, and no object key, may hold
 *   NUL or a lone UTF-16 surrogate (a JSON `"\ud800"` parses to one; stored, it would become
 *   U+FFFD on PostgreSQL and stay as given on SQLite).
 *
 * Routes with parsers of their own (e.g. a header carrying base64 JSON) call `storableText`
 * (platform/text.ts) / `unstorableAt` for what they decode.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { storableText } from '../text.js';

/** A request refused before any route code runs; 400 in the shape of the route's wire format. */
export class InputError extends Error {
  override name = 'InputError';
  readonly statusCode = 400;
  readonly code = 'DOMUS_INPUT';
}

const MAX_DEPTH = 64;

/**
 * Where in a parsed value (JSON or form) the first text that cannot be stored is, as a path
 * like `body/resources/0`; undefined when there is none.
 */
export function unstorableAt(value: unknown, path = 'body', depth = 0): string | undefined {
  if (typeof value === 'string') return storableText(value) ? undefined : path;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_DEPTH) return path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableAt(value[i], `${path}/${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!storableText(key)) return path;
    const found = unstorableAt(item, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** What is wrong with a request URL (path and query, percent-encoded as sent), or undefined. */
export function urlProblem(url: string): string | undefined {
  // Without a percent-escape there is nothing to decode: the common case, on every request.
  if (!url.includes('%')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    return 'the URL has a percent-escape that is not UTF-8';
  }
  return decoded.includes('\u0000') ? 'the URL holds a NUL character' : undefined;
}

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+|%/g;
const REPLACEMENT = '%EF%BF%BD';

/** The URL with every escape sequence that does not decode replaced by U+FFFD's. */
export function withDecodableEscapes(url: string): string {
  return url.replace(ESCAPES, (run) => {
    try {
      decodeURIComponent(run);
      return run;
    } catch {
      return REPLACEMENT;
    }
  });
}

/** Requests routed again by `routeBadUrl`: their problem, and the URL as it was sent. */
const refusedUrls = new WeakMap<IncomingMessage, { problem: string; url: string }>();

/** The URL of a request as the client sent it (before `routeBadUrl` replaced escapes). */
export function sentUrl(request: FastifyRequest): string {
  return refusedUrls.get(request.raw)?.url ?? request.url;
}

/**
 * fastify's `frameworkErrors` for FST_ERR_BAD_URL: routes the request again with decodable
 * escapes, marked so that `checkUrl` refuses it in its route's error shape. Answers false when
 * it cannot (the request was routed again already).
 */
export function routeBadUrl(
  request: FastifyRequest,
  routing: (req: IncomingMessage, res: FastifyReply['raw']) => void,
  res: FastifyReply['raw'],
): boolean {
  const raw = request.raw;
  const url = raw.url ?? '/';
  if (refusedUrls.has(raw)) return false;
  refusedUrls.set(raw, { problem: 'the URL has a percent-escape that is not UTF-8', url });
  raw.url = withDecodableEscapes(url);
  routing(raw, res);
  return true;
}

/** onRequest hook of the root scope: the URL checks. */
export async function checkUrl(request: FastifyRequest): Promise<void> {
  const refused = refusedUrls.get(request.raw)?.problem ?? urlProblem(request.url);
  if (refused) throw new InputError(refused);
}

/** preValidation hook of the root scope: the body checks. */
export async function checkBody(request: FastifyRequest): Promise<void> {
  const where = unstorableAt(request.body);
  if (where) throw new InputError(`${where} holds a NUL character or a lone UTF-16 surrogate`);
}
