/**
 * What a fuzz case is (support/fuzz.ts): a draft request made from a template of an endpoint
 * (support/fuzz-templates*.ts), how it is sent, and the helpers the mutations that break it use
 * (support/fuzz-mutations.ts).
 */
import type { KeyObject } from 'node:crypto';
import { signEs256 } from '../../src/platform/crypto/es256.js';
import type { Rng } from './seeded-random.js';

export type { Rng };
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
export const between = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

export type JsonType = 'string' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: Record<string, unknown>; types: Record<string, JsonType[]>; required: string[] }
  | { kind: 'form'; pairs: [string, string][]; required: string[] }
  | { kind: 'jose'; header: Record<string, unknown>; payload: Record<string, unknown>; key: KeyObject };

/** Which part of Domus answers a template, which decides what its mutations must meet. */
export type Area = 'domain' | 'dcr' | 'v2' | 'page' | 'admin' | 'demo' | 'other';

export interface Draft {
  method: string;
  /** Percent-encoded path segments; `params` are the indexes of parameters among them. */
  segments: string[];
  params: number[];
  /** Percent-encoded `name=value` pairs. */
  query: string[];
  headers: Record<string, string>;
  body: Body;
  /** The body as sent, when a mutation wrote it by hand. */
  text?: string;
  /** Content-Type sent: the body's own unless set; null sends none. */
  contentType?: string | null;
}

export interface Template {
  name: string;
  area: Area;
  auth?: 'admin' | 'bearer';
  /** Device headers sent, and checked by the route. */
  device?: boolean;
  /** A query parameter or form field that must be an absolute URL on the app's domains. */
  redirect?: string;
  /** Body-less POST/PUT/DELETE: the route takes no body (a body of another type is refused). */
  bodyless?: boolean;
  /** fastify parses the body (false: the demo provider reads it itself). */
  parsed?: boolean;
  draft(): Draft;
}

export interface Mutation {
  name: string;
  /** True when the template's endpoint must refuse the request this makes. */
  refuses(t: Template): boolean;
  applies(t: Template, d: Draft): boolean;
  apply(d: Draft, rng: Rng, t: Template): void;
}

/** The body text and content type a draft sends. */
export function serialize(d: Draft): { path: string; body: string | undefined; contentType: string | undefined } {
  const path = `/${d.segments.join('/')}${d.query.length > 0 ? `?${d.query.join('&')}` : ''}`;
  let body: string | undefined;
  let contentType: string | undefined;
  const b = d.body;
  if (b.kind === 'json') [body, contentType] = [JSON.stringify(b.value), 'application/json'];
  if (b.kind === 'form') {
    body = b.pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
    contentType = 'application/x-www-form-urlencoded';
  }
  if (b.kind === 'jose') [body, contentType] = [signEs256(b.header, b.payload, b.key), 'application/jose'];
  if (d.text !== undefined) body = d.text;
  if (d.contentType !== undefined) contentType = d.contentType ?? undefined;
  return { path, body, contentType };
}

export const insertAt = (rng: Rng, text: string, insert: string) => {
  const at = between(rng, 0, text.length);
  return text.slice(0, at) + insert + text.slice(at);
};
export const hasBody = (d: Draft) => d.body.kind !== 'none';
/** Content types a template's route takes. */
export const accepted = (d: Draft): RegExp =>
  d.body.kind === 'jose'
    ? /^application\/jose\s*(;|$)/i
    : d.body.kind === 'form'
      ? /^application\/x-www-form-urlencoded\s*(;|$)/i
      : /^application\/json\s*(;|$)/i;
export const stringFields = (d: Draft): string[] =>
  d.body.kind === 'json'
    ? Object.keys(d.body.value).filter(
        (k) => typeof (d.body as { value: Record<string, unknown> }).value[k] === 'string',
      )
    : d.body.kind === 'form'
      ? d.body.pairs.map(([name]) => name)
      : [];
export const setField = (d: Draft, name: string, value: unknown) => {
  if (d.body.kind === 'json') d.body.value[name] = value;
  if (d.body.kind === 'form') {
    const pair = d.body.pairs.find(([n]) => n === name);
    if (pair) pair[1] = String(value);
    else d.body.pairs.push([name, String(value)]);
  }
};
export const parsedBody = (t: Template) => t.parsed !== false;
