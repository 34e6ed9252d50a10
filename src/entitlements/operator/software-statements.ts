/**
 * Software statements (docs/entitlement-api.md, "Operator setup"): a JWT per registered
 * application, signed by Domus, that the application presents to /o/client/register. It never
 * expires; issuing a new one for the application revokes the old (its `jti` is the application's
 * statement id).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, jwtVerify, SignJWT } from 'jose';
import { isStrictCompactJws } from '../../platform/crypto/es256.js';
import { newP256KeyPair } from '../../platform/crypto/p256.js';
import type { KeyStore } from '../../platform/keys/key-store.js';
import type { Application } from './model.js';

export const STATEMENT_ISSUER = 'domus-software-statements';

export class SoftwareStatements {
  private constructor(
    private readonly kid: string,
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {}

  static async load(keys: KeyStore): Promise<SoftwareStatements> {
    const stored = await keys.loadOrCreate<JWK>('software-statements', async () => {
      const pair = newP256KeyPair();
      const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      return {
        publicData: { ...jwk, kid: await calculateJwkThumbprint(jwk) },
        privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
      };
    });
    const publicKey = createPublicKey(stored.privateKey);
    return new SoftwareStatements(stored.publicData.kid as string, stored.privateKey, publicKey);
  }

  sign(application: Application): Promise<string> {
    return new SignJWT({ client_name: application.name, scopes: application.scopes.join(',') })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.kid })
      .setIssuer(STATEMENT_ISSUER)
      .setSubject(application.id)
      .setJti(application.statementId)
      .setIssuedAt()
      .sign(this.privateKey);
  }

  /** The application and statement ids of a statement this server signed; rejects otherwise. */
  async verify(statement: string): Promise<{ applicationId: string; statementId: string }> {
    // jose accepts non-canonical base64url and the `b64` extension; Domus takes one form only.
    if (!isStrictCompactJws(statement)) throw new Error('statement is not a strict compact JWS');
    const { payload } = await jwtVerify(statement, this.publicKey, { issuer: STATEMENT_ISSUER, algorithms: ['ES256'] });
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string')
      throw new Error('statement lacks sub or jti');
    return { applicationId: payload.sub, statementId: payload.jti };
  }
}
