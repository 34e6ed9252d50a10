/**
 * Machine tokens (domain-protocol.md §3): JWTs signed by the individualization key, binding a
 * machine GUID and machine ID to the machine's public key. This server issues them and trusts
 * its own plus those of configured issuers (ES256 keys only).
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { decodeJws, importP256PublicJwk, signEs256, verifyEs256Async } from '../platform/crypto/es256.js';
import { newP256KeyPair } from '../platform/crypto/p256.js';
import type { KeyStore } from '../platform/keys/key-store.js';
import type { IssuerKeys } from '../platform/tokens/issuers-file.js';
import { isMachineId } from './machine-id.js';

export interface Machine {
  guid: string;
  components: string[];
  publicKey: KeyObject;
}

interface TrustedKey {
  kid: string | undefined;
  key: KeyObject;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLOCK_SKEW_S = 60;

export class MachineTokens {
  private constructor(
    private readonly issuer: string,
    private readonly kid: string,
    private readonly signingKey: KeyObject,
    private readonly ttlSeconds: number,
    private readonly trusted: Map<string, TrustedKey[]>,
  ) {}

  static async load(keys: KeyStore, issuer: string, ttlSeconds: number, others: IssuerKeys): Promise<MachineTokens> {
    const stored = await keys.loadOrCreate<JWK>('indiv', async () => {
      const pair = newP256KeyPair();
      const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      return {
        publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk) },
        privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
      };
    });
    const kid = stored.publicData.kid as string;
    const trusted = new Map<string, TrustedKey[]>();
    for (const [id, jwks] of others) {
      trusted.set(
        id,
        jwks.map((jwk) => {
          const key = importP256PublicJwk(jwk);
          if (!key) throw new Error(`machine-token issuer "${id}" has a key that is not a public EC P-256 JWK`);
          return { kid: jwk.kid, key };
        }),
      );
    }
    const own = importP256PublicJwk({ kty: 'EC', crv: 'P-256', x: stored.publicData.x, y: stored.publicData.y });
    if (!own) throw new Error('stored individualization key is not EC P-256');
    trusted.set(issuer, [...(trusted.get(issuer) ?? []), { kid, key: own }]);
    return new MachineTokens(issuer, kid, stored.privateKey, ttlSeconds, trusted);
  }

  /** Issues a token for a new individualization; returns it with the fresh GUID. */
  issue(components: string[], machineJwk: JWK): { machineToken: string; guid: string } {
    const guid = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const { kty, crv, x, y } = machineJwk;
    const machineToken = signEs256(
      { typ: 'JWT', kid: this.kid },
      {
        iss: this.issuer,
        sub: guid,
        mid: components,
        cnf: { jwk: { kty, crv, x, y } },
        iat: now,
        exp: now + this.ttlSeconds,
      },
      this.signingKey,
    );
    return { machineToken, guid };
  }

  /** The machine a token vouches for, or null when the token is bad, expired or untrusted. */
  async verify(token: string, nowSeconds = Date.now() / 1000): Promise<Machine | null> {
    const claimed = this.claims(token, nowSeconds);
    return claimed && (await this.isSigned(token)) ? claimed : null;
  }

  /**
   * The machine a token names when its claims are well-formed, unexpired and from a trusted
   * issuer; its signature is NOT checked here (see isSigned), so the two checks can run at once.
   */
  claims(token: string, nowSeconds = Date.now() / 1000): Machine | null {
    const jws = decodeJws(token);
    if (jws?.header.alg !== 'ES256') return null;
    const { iss, sub, mid, cnf, exp, nbf } = jws.payload;
    if (typeof iss !== 'string' || !this.trusted.has(iss)) return null;
    if (typeof exp !== 'number' || exp + CLOCK_SKEW_S < nowSeconds) return null;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf - CLOCK_SKEW_S > nowSeconds)) return null;
    if (typeof sub !== 'string' || !UUID.test(sub) || !isMachineId(mid)) return null;
    const publicKey = importP256PublicJwk((cnf as { jwk?: unknown } | undefined)?.jwk);
    if (!publicKey) return null;
    return { guid: sub, components: mid, publicKey };
  }

  /** True when the token is signed by a key of its (trusted) issuer; checked on the thread pool. */
  async isSigned(token: string): Promise<boolean> {
    const jws = decodeJws(token);
    const issuer = jws?.payload.iss;
    const candidates = jws && typeof issuer === 'string' ? this.trusted.get(issuer) : undefined;
    if (!jws || !candidates) return false;
    const kid = jws.header.kid;
    for (const candidate of candidates) {
      if (kid !== undefined && candidate.kid !== undefined && candidate.kid !== kid) continue;
      if (await verifyEs256Async(jws, candidate.key)) return true;
    }
    return false;
  }
}
