/**
 * Household domain tokens (docs/entitlement-api.md, "Household domain token"): an auth token for
 * the DRM domain server (docs/domain-protocol.md §6) with `nq` = the MVPD's authentication
 * namespace and `sub` = the profile's household id (or user id), so the devices of one pay-TV
 * household join one identity-based domain. The domain server trusts this issuer through its public
 * key.
 */
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import { newP256KeyPair } from '../../platform/crypto/p256.js';
import type { KeyStore } from '../../platform/keys/key-store.js';

export const HOUSEHOLD_TOKEN_ISSUER = 'domus-entitlements';

export class HouseholdTokens {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicJwk: JWK,
    private readonly ttlSeconds: number,
  ) {}

  static async load(keys: KeyStore, ttlSeconds: number): Promise<HouseholdTokens> {
    const stored = await keys.loadOrCreate<JWK>('household-tokens', async () => {
      const pair = newP256KeyPair();
      const jwk = pair.publicJwk as JWK;
      return {
        publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' },
        privatePkcs8: pair.privatePkcs8,
      };
    });
    return new HouseholdTokens(stored.privateKey, stored.publicData, ttlSeconds);
  }

  /** A token for `household` in `namespace`, valid at most until `notAfter` (ms, the profile's end). */
  async issue(household: string, namespace: string, notAfter: number): Promise<{ token: string; notAfter: number }> {
    const exp = Math.min(Math.floor(Date.now() / 1000) + this.ttlSeconds, Math.floor(notAfter / 1000));
    const token = await new SignJWT({ nq: namespace })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.publicJwk.kid })
      .setIssuer(HOUSEHOLD_TOKEN_ISSUER)
      .setSubject(household)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, notAfter: exp * 1000 };
  }
}
