/**
 * A test server that also trusts one more machine-token issuer and one more auth-token issuer,
 * whose private keys the test holds, so it can sign tokens of every kind, broken ones included.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JWK } from 'jose';
import type { TestDatabase } from './databases.js';
import { startTestServer, type TestServer } from './server.js';

/** The public JWK of an EC key (given its private or public half), without anything else. */
export function publicJwk(key: KeyObject): JWK {
  const { kty, crv, x, y } = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  return { kty, crv, x, y };
}

export interface ExtraIssuers {
  machine: { id: string; key: KeyObject };
  auth: { id: string; key: KeyObject };
}

/** Starts a test server on `database` trusting `issuers` too; its close() removes their files. */
export async function startServerTrusting(database: TestDatabase, issuers: ExtraIssuers): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-issuers-'));
  const write = (name: string, issuer: { id: string; key: KeyObject }) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify({ [issuer.id]: { keys: [publicJwk(issuer.key)] } }));
    return file;
  };
  try {
    const server = await startTestServer(database, {
      DOMUS_MACHINE_ISSUERS_FILE: write('machine-issuers.json', issuers.machine),
      DOMUS_AUTH_ISSUERS_FILE: write('auth-issuers.json', issuers.auth),
    });
    return {
      ...server,
      async close() {
        await server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
