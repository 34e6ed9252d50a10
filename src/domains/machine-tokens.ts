/**
 * Machine tokens (docs/domain-protocol.md §5.3): JWTs signed by the individualization key, binding
 * a machine GUID and machine ID to the machine's public key. This server issues them and trusts its
 * own plus those of configured issuers (ES256 keys only).
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SignatureCheck } from '../platform/crypto/crypto-workers.js';
import { decodeJws, importP256PublicJwk, p256PointOfJwk, signEs256 } from '../platform/crypto/es256.js';
import { newP256KeyPair } from '../platform/crypto/p256.js';
import type { KeyStore } from '../platform/keys/key-store.js';
import type { IssuerKeys } from '../platform/tokens/issuers-file.js';
import { isMachineId } from './machine-id.js';

export interface Machine {
  guid: string;
  components: string[];
  /** The machine's public key as the token binds it; imported (and checked) where it is used. */
  publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** The same key as an uncompressed point, what key wrapping to the machine needs. */
  publicPoint: Buffer;
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

  /**
   * The machine a token names when its claims are well-formed, unexpired and from a trusted
   * issuer, with the check of its signature by that issuer; null for anything else. The
   * signature is NOT checked here: the crypto workers check it together with the request's.
   */
  read(token: string, nowSeconds = Date.now() / 1000): { machine: Machine; signature: SignatureCheck } | null {
    const jws = decodeJws(token);
    if (jws?.header.alg !== 'ES256') return null;
    const { iss, sub, mid, cnf, exp, nbf } = jws.payload;
    const candidates = typeof iss === 'string' ? this.trusted.get(iss) : undefined;
    if (!candidates) return null;
    if (typeof exp !== 'number' || exp + CLOCK_SKEW_S < nowSeconds) return null;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf - CLOCK_SKEW_S > nowSeconds)) return null;
    if (typeof sub !== 'string' || !UUID.test(sub) || !isMachineId(mid)) return null;
    const jwk = (cnf as { jwk?: Record<string, unknown> } | undefined)?.jwk;
    if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.d !== undefined) return null;
    const publicPoint = p256PointOfJwk(jwk);
    if (!publicPoint) return null;
    const kid = jws.header.kid;
    const keys = candidates
      .filter((candidate) => kid === undefined || candidate.kid === undefined || candidate.kid === kid)
      .map((candidate) => candidate.key);
    if (keys.length === 0) return null;
    const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string } as const;
    return { machine: { guid: sub, components: mid, publicJwk, publicPoint }, signature: { jws, keys } };
  }
}
