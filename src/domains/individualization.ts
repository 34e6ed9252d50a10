/**
 * Individualization (docs/domain-protocol.md §5): a device proves possession of a new machine key
 * and reports its machine ID; the server answers a machine token with a fresh GUID.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import { decodeJws, importP256PublicJwk, verifyEs256 } from '../platform/crypto/es256.js';
import { transaction } from '../platform/storage/transaction.js';
import { DomainError } from './errors.js';
import { isMachineId, MAX_COMPONENTS, MIN_COMPONENTS } from './machine-id.js';
import type { MachineTokens } from './machine-tokens.js';
import type { DomainDeps } from './policy.js';
import { recordMessage } from './seen-messages.js';

export const INDIV_JWS_TYPE = 'domus-indiv+jws';
const MESSAGE_ID = /^[\x21-\x7e]{16,64}$/;

export interface IndividualizationAnswer {
  machineToken: string;
  guid: string;
}

export async function individualize(
  deps: DomainDeps,
  machineTokens: MachineTokens,
  toleranceSeconds: number,
  body: string | undefined,
): Promise<IndividualizationAnswer> {
  const jws = typeof body === 'string' ? decodeJws(body.trim()) : null;
  if (!jws) throw new DomainError('REQ_MALFORMED', 'body is not a compact JWS');
  const { alg, typ, jwk } = jws.header;
  if (alg !== 'ES256' || typ !== INDIV_JWS_TYPE) {
    throw new DomainError(
      'REQ_MALFORMED',
      `protected header must be {"alg":"ES256","typ":"${INDIV_JWS_TYPE}","jwk":…}`,
    );
  }
  const machineKey = importP256PublicJwk(jwk);
  if (!machineKey) throw new DomainError('REQ_MALFORMED', 'header jwk must be a public EC P-256 key');
  const { components, iat, mid } = jws.payload;
  if (!isMachineId(components)) {
    throw new DomainError(
      'REQ_MALFORMED',
      `components must be ${MIN_COMPONENTS} to ${MAX_COMPONENTS} base64url SHA-256 digests`,
    );
  }
  if (typeof mid !== 'string' || !MESSAGE_ID.test(mid))
    throw new DomainError('REQ_MALFORMED', 'mid must be 16 to 64 printable characters');
  if (!Number.isInteger(iat)) throw new DomainError('REQ_MALFORMED', 'iat must be seconds since the epoch');
  if (!verifyEs256(jws, machineKey))
    throw new DomainError('REQ_SIGNATURE_INVALID', 'signature does not verify with the header key');
  if (Math.abs(Date.now() / 1000 - (iat as number)) > toleranceSeconds) {
    throw new DomainError('REQ_TIMESTAMP_OUT_OF_RANGE', `iat is more than ${toleranceSeconds} s away from server time`);
  }

  // Replay protection keyed by the new machine key, as domain requests are keyed by GUID.
  const keyId = `jwk:${await calculateJwkThumbprint(jwk as JWK)}`;
  await transaction(deps.storage, async (trx) => {
    const now = Date.now();
    await recordMessage(trx, keyId, mid, now, now - deps.replayWindowMs);
  });
  return machineTokens.issue(components, jwk as JWK);
}
