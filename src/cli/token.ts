/** `domus token mint`: an auth token from this server's local issuer, for identity-based domains. */
import { parseArgs } from 'node:util';
import { openPlatform } from '../app.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { LocalIssuer } from '../platform/tokens/local-issuer.js';

const USAGE = 'usage: domus token mint --sub <user> --nq <namespace> [--ttl <seconds, default 3600>]\n';

export async function tokenCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { sub: { type: 'string' }, nq: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
  });
  const ttlSeconds = Number(values.ttl);
  if (positionals[0] !== 'mint' || !values.sub || !values.nq || !Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadConfig();
  const platform = await openPlatform(config, createLogger('warn'));
  try {
    const issuer = await LocalIssuer.load(platform.keyStore, config.localIssuerId);
    process.stdout.write(`${await issuer.mint({ subject: values.sub, namespace: values.nq, ttlSeconds })}\n`);
    return 0;
  } finally {
    await platform.storage.close();
  }
}
