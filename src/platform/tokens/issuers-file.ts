/** Reads a trusted-issuers file: `{ "<issuer id>": { "keys": [<public JWK>, …] } }`. */
import fs from 'node:fs';
import type { JWK } from 'jose';

export type IssuerKeys = Map<string, JWK[]>;

export function readIssuersFile(file: string | undefined): IssuerKeys {
  const issuers: IssuerKeys = new Map();
  if (!file) return issuers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read issuers file ${file}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`issuers file ${file} must hold a JSON object`);
  }
  for (const [issuer, entry] of Object.entries(parsed)) {
    const keys = (entry as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys) || keys.length === 0)
      throw new Error(`issuer "${issuer}" in ${file} needs a non-empty "keys" list`);
    for (const key of keys) {
      if (key === null || typeof key !== 'object' || typeof (key as JWK).kty !== 'string') {
        throw new Error(`issuer "${issuer}" in ${file} has a key that is not a JWK`);
      }
      if ('d' in key) throw new Error(`issuer "${issuer}" in ${file} lists a private key; give public keys only`);
    }
    issuers.set(issuer, keys as JWK[]);
  }
  return issuers;
}
