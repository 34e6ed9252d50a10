/** `domus serve`: runs the server until SIGTERM or SIGINT, then shuts down cleanly. */
import path from 'node:path';
import { createDomus } from '../app.js';
import { loadConfig } from '../platform/config.js';
import { ADMIN_TOKEN_FILE } from '../platform/keys/secrets.js';

export async function serveCommand(): Promise<number> {
  const config = loadConfig();
  const domus = await createDomus(config);
  const url = await domus.listen();
  const { logger, secrets } = domus;

  logger.info({ url, database: config.database.kind }, 'Domus is serving');
  if (config.database.kind === 'sqlite') {
    logger.warn(
      `embedded SQLite database at ${config.database.file}: fine for one process; use DOMUS_DATABASE_URL=postgres://… in production`,
    );
  }
  if (secrets.generated.masterKeyFile) {
    logger.warn(
      `generated a master key into ${secrets.generated.masterKeyFile}: keep it safe, or set DOMUS_MASTER_KEY`,
    );
  }
  const tokenSource = config.adminToken ? 'DOMUS_ADMIN_TOKEN' : path.join(config.dataDir, ADMIN_TOKEN_FILE);
  if (secrets.generated.adminTokenFile) {
    process.stdout.write(`\nAdmin API: ${url}/admin/v1 — first start, generated admin token: ${secrets.adminToken}\n`);
  }
  process.stdout.write(
    `\nDomus ${url}\n  admin token: ${tokenSource}\n  Domain CA:   ${url}/flashaccess/domain-ca.pem\n  OpenAPI:     ${url}/openapi.json\n\n`,
  );
  if (config.demo) process.stdout.write(demoHelp(url, tokenSource, config.demoUsersFile));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await domus.close();
  return 0;
}

/** How to try the demo data the embedded default seeds (README, "Sign in with a demo MVPD"). */
function demoHelp(url: string, tokenSource: string, usersFile: string | undefined): string {
  const users = usersFile
    ? `Demo users: from ${usersFile}.`
    : `Users, password = user name: alice and bob (household-1, entitled to DemoChannel), carol
(household-2, entitled to nothing).`;
  return `Demo data (DOMUS_DEMO): service provider DemoChannel; MVPDs DemoCable (with a logout endpoint) and
DemoSat (without), served at ${url}/demo-mvpd/<id>; application demo-app (redirect domains localhost,
127.0.0.1). ${users}
  software statement: GET ${url}/admin/v1/applications/demo-app/software-statement (admin token: ${tokenSource})
  then /o/client/register, /o/client/token and /api/v2/DemoChannel/… — walk-through in the README.

`;
}
