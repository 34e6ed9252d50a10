/**
 * The crypto floor: the signature checks and the key wrapping of one join, in a plain loop
 * without HTTP or database, on the same node:crypto code the server runs. A join can never be
 * faster than this on one core; join/s ÷ floor/s says how much the rest of the request costs.
 *
 * One iteration = what src/domains/envelope.ts, machine-tokens.ts and domain-keys.ts do per join:
 * decodeJws + verifyEs256 of the request; decodeJws + verifyEs256 of the machine token and
 * importP256PublicJwk of its cnf.jwk (and its point), as the crypto workers do
 * (src/platform/crypto/crypto-workers.ts); then for each of N key versions Sealer.open of the sealed
 * PKCS#8 domain key and one JWE encryption, all N with one jweEncrypterFor (one ECDH) per iteration.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { simulatedComponents } from '../src/device/hardware.js';
import {
  decodeJws,
  importP256PublicJwk,
  p256PointOfJwk,
  signEs256,
  verifyEs256,
} from '../src/platform/crypto/es256.js';
import { jweEncrypterFor } from '../src/platform/crypto/jwe.js';
import { Sealer } from '../src/platform/crypto/sealing.js';
import { domainRequest, type TestMachine } from '../test/support/machines.js';
import { newMachineKey } from './machines.js';

const MACHINES = 64;

export interface FloorResult {
  versions: number;
  iterations: number;
  perSecond: number;
}

interface Fixture {
  requests: string[];
  issuerKey: ReturnType<typeof generateKeyPairSync>['publicKey'];
  sealer: Sealer;
  sealedKeys: { sealed: string; label: string }[];
}

function fixture(versions: number): Fixture {
  const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const requests = Array.from({ length: MACHINES }, () => {
    const { privateKey, publicJwk } = newMachineKey();
    const { kty, crv, x, y } = publicJwk;
    const now = Math.floor(Date.now() / 1000);
    // A machine token as MachineTokens.issue signs it.
    const machineToken = signEs256(
      { typ: 'JWT', kid: 'bench' },
      {
        iss: 'domus-indiv',
        sub: randomUUID(),
        mid: simulatedComponents(randomUUID()),
        cnf: { jwk: { kty, crv, x, y } },
        iat: now,
        exp: now + 3600,
      },
      issuer.privateKey,
    );
    const machine: TestMachine = { guid: '', machineToken, components: [], privateKey };
    return domainRequest(machine);
  });
  const sealer = new Sealer(randomBytes(32));
  const sealedKeys = Array.from({ length: versions }, (_, i) => {
    const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'der',
      type: 'pkcs8',
    });
    const label = `domain-key:1:${i + 1}`;
    return { sealed: sealer.seal(pkcs8, label), label };
  });
  return { requests, issuerKey: issuer.publicKey, sealer, sealedKeys };
}

/** One join's worth of crypto; returns the number of JWEs made (so nothing is optimized away). */
function iteration(f: Fixture, request: string): number {
  const jws = decodeJws(request);
  if (!jws) throw new Error('bad request');
  const token = decodeJws(jws.payload.mt as string);
  if (!token || !verifyEs256(token, f.issuerKey)) throw new Error('machine token does not verify');
  const jwk = (token.payload.cnf as { jwk: { x: string; y: string } }).jwk;
  const machineKey = importP256PublicJwk(jwk);
  const machinePoint = p256PointOfJwk(jwk);
  if (!machineKey || !machinePoint || !verifyEs256(jws, machineKey)) throw new Error('request does not verify');
  const encrypter = jweEncrypterFor(machinePoint);
  let made = 0;
  for (const key of f.sealedKeys) {
    made += encrypter.encrypt(f.sealer.open(key.sealed, key.label), 'pkcs8').length > 0 ? 1 : 0;
  }
  return made;
}

/** Runs the loop for a warm-up, then for at most `maxMs` or `maxIterations`. */
export function measureFloor(versions: number, maxMs = 3000, warmupMs = 500, maxIterations = 200_000): FloorResult {
  const f = fixture(versions);
  const run = (ms: number) => {
    const started = performance.now();
    let i = 0;
    let made = 0;
    while (i < maxIterations && (i % 16 !== 0 || performance.now() - started < ms)) {
      made += iteration(f, f.requests[i % f.requests.length] as string);
      i++;
    }
    if (made !== i * versions) throw new Error('crypto floor lost an encryption');
    return { iterations: i, elapsedMs: performance.now() - started };
  };
  run(warmupMs);
  const { iterations, elapsedMs } = run(maxMs);
  return { versions, iterations, perSecond: (iterations * 1000) / elapsedMs };
}
