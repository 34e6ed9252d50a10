/**
 * `domus <command>`: the operator's and the device's command line. Each command's module is
 * loaded when it runs, so a small command does not load the whole server.
 */
import { ConfigError } from '../platform/config.js';

const USAGE = `usage: domus <command>

  serve                       run the server (configuration from DOMUS_* environment variables)
  migrate [up|down|status]    apply, revert the last, or list migrations
  token mint --sub U --nq NS [--ttl S]
                              sign an auth token with this server's local issuer key
  device <individualize|join|leave|members|remove|status|store-license> …
                              the bundled device client; "domus device help" for details
  media-token verify <serializedToken> --resource R [--jwks URL|file]
                              check a media token from an authorize decision; prints its status
  admin [--url URL] [--token-file F] <resource> <action> …
                              the operator model through a running server's admin API:
                              service-providers, mvpds, integrations, applications, domains;
                              "domus admin help" for details
`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve: async () => (await import('./serve.js')).serveCommand(),
  migrate: async (args) => (await import('./migrate.js')).migrateCommand(args),
  token: async (args) => (await import('./token.js')).tokenCommand(args),
  device: async (args) => (await import('./device.js')).deviceCommand(args),
  'media-token': async (args) => (await import('./media-token.js')).mediaTokenCommand(args),
  admin: async (args) => (await import('./admin.js')).adminCommand(args),
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
