/**
 * Compact JWS with ES256 only, on node:crypto directly: the two signatures every domain request
 * carries (the request and its machine token) are checked here, on the hot path. Accepting a
 * single algorithm leaves no room for algorithm confusion.
 *
 * One spelling per JWS: every segment must be canonical base64url (RFC 4648 §3.5: the unused
 * bits of the last character zero, no padding), or the same token would have sixteen spellings
 * that all verify; and a protected header naming critical extensions (`crit`, RFC 7515
 * §4.1.11) is refused, since Domus understands none. `isStrictCompactJws` applies the same rules
 * to tokens that jose verifies.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Splits and parses a compact JWS without checking its signature; null when malformed, when a
 * segment is not canonical base64url, or when the protected header has `crit`.
 */
export function decodeJws(token: string): DecodedJws | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  if (!isCanonicalBase64url(h) || !isCanonicalBase64url(p) || !isCanonicalBase64url(s)) return null;
  const header = parseObject(h);
  const payload = parseObject(p);
  if (!header || !payload || 'crit' in header) return null;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/**
 * True when `token` has the form decodeJws accepts (three canonical base64url segments, JSON
 * objects for header and payload, no `crit`): the check for tokens verified by jose, which
 * accepts non-canonical base64url and understands the `b64` extension.
 */
export function isStrictCompactJws(token: string): boolean {
  return decodeJws(token) !== null;
}

/** Base64url without padding whose last character carries no set unused bit (one spelling per bytes). */
export function isCanonicalBase64url(segment: string): boolean {
  if (!SEGMENT.test(segment)) return false;
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  // 2 characters left encode 1 byte (4 bits unused), 3 encode 2 bytes (2 bits unused).
  const last = BASE64URL.indexOf(segment.charAt(segment.length - 1));
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

function parseObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** True when `jws` is an ES256 signature by `key` (an EC P-256 public key). */
export function verifyEs256(jws: DecodedJws, key: KeyObject): boolean {
  if (jws.header.alg !== 'ES256' || jws.signature.length !== 64) return false;
  return verify('sha256', Buffer.from(jws.signingInput), { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
}

/** Signs `payload` as a compact ES256 JWS with the given protected header. */
export function signEs256(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = es256SigningInput(header, payload);
  return `${input}.${es256Signature(input, key)}`;
}

/** The signing input (`header.payload`) of a compact ES256 JWS. */
export function es256SigningInput(header: Record<string, unknown>, payload: unknown): string {
  return `${jwsSegment({ ...header, alg: 'ES256' })}.${jwsSegment(payload)}`;
}

/** The ES256 signature of a signing input, base64url: the third part of the compact JWS. */
export function es256Signature(input: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

/** One part of a compact JWS: the base64url of the value's JSON. */
export function jwsSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Imports a public EC P-256 JWK; null when it is anything else (or carries a private part). */
export function importP256PublicJwk(jwk: unknown): KeyObject | null {
  if (jwk === null || typeof jwk !== 'object') return null;
  const { kty, crv, x, y, d } = jwk as Record<string, unknown>;
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string' || d !== undefined) return null;
  try {
    return createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
  } catch {
    return null;
  }
}

/** The uncompressed point (0x04 | x | y) of a public EC P-256 JWK whose coordinates are 32 bytes each. */
export function p256PointOfJwk(jwk: { x?: unknown; y?: unknown }): Buffer | null {
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return null;
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  return x.length === 32 && y.length === 32 ? Buffer.concat([UNCOMPRESSED, x, y]) : null;
}

const UNCOMPRESSED = Buffer.from([0x04]);
