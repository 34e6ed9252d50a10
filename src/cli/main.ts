/** `domus <command>`: the operator's and the device's command line. */
import { ConfigError } from '../platform/config.js';
import { deviceCommand } from './device.js';
import { mediaTokenCommand } from './media-token.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';
import { tokenCommand } from './token.js';

const USAGE = `usage: domus <command>

  serve                       run the server (configuration from DOMUS_* environment variables)
  migrate [up|down|status]    apply, revert the last, or list migrations
  token mint --sub U --nq NS [--ttl S]
                              sign an auth token with this server's local issuer key
  device <individualize|join|leave|status|store-license> …
                              the bundled device client; "domus device help" for details
  media-token verify <serializedToken> --resource R [--jwks URL|file]
                              check a media token from an authorize decision; prints its status
`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  token: tokenCommand,
  device: deviceCommand,
  'media-token': mediaTokenCommand,
};

const [name = 'help', ...rest] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  process.stdout.write(USAGE);
  process.exitCode = name === 'help' || name === '--help' ? 0 : 2;
} else {
  try {
    process.exitCode = await command(rest);
  } catch (error) {
    const known = error instanceof ConfigError || (error as Error).name.endsWith('Error');
    process.stderr.write(`domus ${name}: ${known ? (error as Error).message : String(error)}\n`);
    process.exitCode = 1;
  }
}
