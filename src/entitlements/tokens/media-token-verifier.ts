/**
 * The media token verifier a programmer's backend runs before playback, the counterpart of
 * Adobe's Java Media Token Verifier (`ITokenVerifier.isValid(resourceId)`). Depends only on jose,
 * so it can be copied out of Domus as it is.
 *
 * Statuses are Adobe's (`VALID_TOKEN`, `INVALID_TOKEN_FORMAT`, `INVALID_SIGNATURE`,
 * `TOKEN_EXPIRED`, `INVALID_RESOURCE_ID`, `ERROR_UNKNOWN`) plus `TOKEN_ALREADY_USED`, answered
 * when a `markUsed` callback says the token was seen before (media tokens are one-time).
 * `TOKEN_EXPIRED` covers a token outside its validity window on either side; `ERROR_UNKNOWN` a
 * failure that says nothing about the token (the key set could not be fetched).
 *
 * A token has one spelling: each segment canonical base64url (a set unused bit in the last
 * character is INVALID_TOKEN_FORMAT, though jose would decode it) and no `crit` header (Domus
 * signs none, so any extension is one this verifier does not understand).
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';

export const MEDIA_TOKEN_TYPE = 'domus-media+jwt';
export const MEDIA_TOKEN_ISSUER = 'domus-media-tokens';
export const MEDIA_TOKEN_JWKS_PATH = '/media-tokens/jwks.json';

export type MediaTokenStatus =
  | 'VALID_TOKEN'
  | 'INVALID_TOKEN_FORMAT'
  | 'INVALID_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'INVALID_RESOURCE_ID'
  | 'TOKEN_ALREADY_USED'
  | 'ERROR_UNKNOWN';

export interface MediaTokenContent {
  /** The service provider (Adobe: requestor). */
  requestor: string;
  resource: string;
  mvpd: string;
  /** Anonymized session id: the same for every token of one login, unlinkable to it. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface VerifyOptions {
  /** The Domus JWKS: its URL (`{root}/media-tokens/jwks.json`, fetched and cached) or the key set itself. */
  jwks: string | JSONWebKeySet;
  resource: string;
  /** Allowed clock skew, seconds (default 30). */
  clockSkewSeconds?: number;
  /** Records a token id; answers false when it was seen before (one-time use). See `oneTimeUse`. */
  markUsed?: (jti: string, expiresAt: number) => boolean | Promise<boolean>;
  /** The time to check against, epoch ms (default now). */
  now?: number;
}

export interface VerifyResult {
  status: MediaTokenStatus;
  /** The token's claims, once its signature is known good. */
  token?: MediaTokenContent;
}

const remoteKeySets = new Map<string, JWTVerifyGetKey>();

function keySet(jwks: string | JSONWebKeySet): JWTVerifyGetKey {
  if (typeof jwks !== 'string') return createLocalJWKSet(jwks);
  let remote = remoteKeySets.get(jwks);
  if (!remote) {
    remote = createRemoteJWKSet(new URL(jwks));
    remoteKeySets.set(jwks, remote);
  }
  return remote;
}

export async function verifyMediaToken(serializedToken: string, options: VerifyOptions): Promise<VerifyResult> {
  const jws = /^[A-Za-z0-9+/]+={0,2}$/.test(serializedToken)
    ? Buffer.from(serializedToken, 'base64').toString('utf8')
    : '';
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jws) || !jws.split('.').every(canonical) || hasCrit(jws)) {
    return { status: 'INVALID_TOKEN_FORMAT' };
  }
  let keys: JWTVerifyGetKey;
  try {
    keys = keySet(options.jwks);
  } catch {
    return { status: 'ERROR_UNKNOWN' };
  }
  let token: MediaTokenContent;
  try {
    const verified = await jwtVerify(jws, keys, {
      algorithms: ['ES256'],
      typ: MEDIA_TOKEN_TYPE,
      issuer: MEDIA_TOKEN_ISSUER,
      requiredClaims: ['exp', 'iat', 'jti'],
      clockTolerance: options.clockSkewSeconds ?? 30,
      currentDate: new Date(options.now ?? Date.now()),
    });
    token = verified.payload as unknown as MediaTokenContent;
  } catch (error) {
    return { status: failureStatus(error) };
  }
  const text = (value: unknown) => typeof value === 'string' && value !== '';
  if (![token.requestor, token.resource, token.mvpd, token.sid, token.jti].every(text)) {
    return { status: 'INVALID_TOKEN_FORMAT' };
  }
  if (token.resource !== options.resource) return { status: 'INVALID_RESOURCE_ID', token };
  if (options.markUsed && !(await options.markUsed(token.jti, token.exp * 1000))) {
    return { status: 'TOKEN_ALREADY_USED', token };
  }
  return { status: 'VALID_TOKEN', token };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url whose last character has no unused bit set (RFC 4648 §3.5); kept here so the verifier needs only jose. */
function canonical(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  return (BASE64URL.indexOf(segment.charAt(segment.length - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** True when the protected header names critical extensions, or cannot be read (refused either way). */
function hasCrit(jws: string): boolean {
  try {
    return 'crit' in decodeProtectedHeader(jws);
  } catch {
    return true;
  }
}

function failureStatus(error: unknown): MediaTokenStatus {
  if (error instanceof joseErrors.JWTExpired) return 'TOKEN_EXPIRED';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return error.claim === 'nbf' || error.claim === 'iat' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN_FORMAT';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return 'INVALID_SIGNATURE';
  }
  if (
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JWTInvalid ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return 'INVALID_TOKEN_FORMAT';
  }
  return 'ERROR_UNKNOWN';
}

/**
 * An in-memory `markUsed` for one process: remembers token ids until they expire. Backends with
 * several processes should record ids in their shared store instead.
 */
export function oneTimeUse(now: () => number = Date.now): (jti: string, expiresAt: number) => boolean {
  const seen = new Map<string, number>();
  return (jti, expiresAt) => {
    const time = now();
    // Kept a minute past expiry: verifiers accept a token that long after it with clock skew.
    for (const [id, until] of seen) if (until + 60_000 <= time) seen.delete(id);
    if (seen.has(jti)) return false;
    seen.set(jti, expiresAt);
    return true;
  };
}
