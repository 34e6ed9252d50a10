/**
 * The media token verifier a programmer's backend runs before playback, the counterpart of
 * Adobe's Java Media Token Verifier (`ITokenVerifier.isValid(resourceId)`). Depends only on jose.
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

export type MediaTokenStatus =
  | 'VALID_TOKEN'
  | 'INVALID_TOKEN_FORMAT'
  | 'INVALID_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'INVALID_RESOURCE_ID'
  | 'TOKEN_ALREADY_USED';

export interface MediaTokenContent {
  requestor: string;
  resource: string;
  mvpd: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface VerifyOptions {
  /** The Domus JWKS: a URL (`{root}/media-tokens/jwks.json`) or the key set itself. */
  jwks: string | JSONWebKeySet;
  resource: string;
  /** Allowed clock skew, seconds (default 30). */
  clockSkewSeconds?: number;
  /** Records a token id; answers false when it was seen before (one-time use). */
  markUsed?: (jti: string, expiresAt: number) => boolean | Promise<boolean>;
  now?: number;
}

export async function verifyMediaToken(
  serializedToken: string,
  options: VerifyOptions,
): Promise<{ status: MediaTokenStatus; token?: MediaTokenContent }> {
  let jws: string;
  try {
    jws = Buffer.from(serializedToken, 'base64').toString('utf8');
    if (jws.split('.').length !== 3) return { status: 'INVALID_TOKEN_FORMAT' };
  } catch {
    return { status: 'INVALID_TOKEN_FORMAT' };
  }
  const keys =
    typeof options.jwks === 'string' ? createRemoteJWKSet(new URL(options.jwks)) : createLocalJWKSet(options.jwks);
  const skew = options.clockSkewSeconds ?? 30;
  let token: MediaTokenContent;
  try {
    const verified = await jwtVerify(jws, keys, {
      algorithms: ['ES256'],
      typ: 'domus-media+jwt',
      clockTolerance: skew,
      currentDate: new Date(options.now ?? Date.now()),
    });
    token = verified.payload as unknown as MediaTokenContent;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return { status: 'TOKEN_EXPIRED' };
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY') {
      return { status: 'INVALID_SIGNATURE' };
    }
    return { status: 'INVALID_TOKEN_FORMAT' };
  }
  if (typeof token.resource !== 'string' || typeof token.exp !== 'number' || typeof token.jti !== 'string') {
    return { status: 'INVALID_TOKEN_FORMAT' };
  }
  if (token.resource !== options.resource) return { status: 'INVALID_RESOURCE_ID', token };
  if (options.markUsed && !(await options.markUsed(token.jti, token.exp * 1000)))
    return { status: 'TOKEN_ALREADY_USED', token };
  return { status: 'VALID_TOKEN', token };
}
