/**
 * `domus media-token verify <serializedToken> --resource <id> [--jwks <URL or file>]`: checks a
 * media token from an authorize decision the way a programmer's backend does
 * (entitlements/tokens/media-token-verifier.ts) and prints its status — `VALID_TOKEN`,
 * `INVALID_TOKEN_FORMAT`, `INVALID_SIGNATURE`, `TOKEN_EXPIRED`, `INVALID_RESOURCE_ID` or
 * `ERROR_UNKNOWN` — then, once the signature is good, the token's claims as JSON. Exit code 0
 * for a valid token, 1 otherwise, 2 for bad usage. The key set defaults to this server's
 * (`{DOMUS_PUBLIC_URL}/media-tokens/jwks.json`).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { MEDIA_TOKEN_JWKS_PATH, verifyMediaToken } from '../entitlements/tokens/media-token-verifier.js';
import { loadConfig } from '../platform/config.js';

const USAGE = 'usage: domus media-token verify <serializedToken> --resource <id> [--jwks <URL or JWKS file>]\n';

export async function mediaTokenCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { resource: { type: 'string' }, jwks: { type: 'string' } },
  });
  const [action, serializedToken, ...extra] = positionals;
  if (action !== 'verify' || !serializedToken || extra.length > 0 || !values.resource) {
    process.stderr.write(USAGE);
    return 2;
  }
  const result = await verifyMediaToken(serializedToken, {
    jwks: keySet(values.jwks),
    resource: values.resource,
  });
  process.stdout.write(`${result.status}\n`);
  if (result.token) process.stdout.write(`${JSON.stringify(result.token, null, 2)}\n`);
  return result.status === 'VALID_TOKEN' ? 0 : 1;
}

function keySet(given: string | undefined) {
  if (given === undefined) {
    const config = loadConfig();
    return `${config.publicUrl ?? `http://localhost:${config.port}`}${MEDIA_TOKEN_JWKS_PATH}`;
  }
  if (/^https?:\/\//i.test(given)) return given;
  return JSON.parse(fs.readFileSync(given, 'utf8'));
}
