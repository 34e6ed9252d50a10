/**
 * `domus serve`: runs the server until SIGTERM or SIGINT, then shuts down gracefully
 * (docs/running.md, "Shutdown"): requests in flight get DOMUS_SHUTDOWN_GRACE_S to finish, a
 * second signal cuts them at once, and the process exits 0 either way.
 */
import path from 'node:path';
import { createDomus } from '../app.js';
import { loadConfig } from '../platform/config.js';
import { ADMIN_TOKEN_FILE } from '../platform/keys/secrets.js';

/** Seconds past the grace period that closing the workers and the pools may take before the process just exits. */
const BACKSTOP_S = 10;

export async function serveCommand(): Promise<number> {
  const config = loadConfig();
  const domus = await createDomus(config);
  const url = await domus.listen().catch(async (error) => {
    await domus.close();
    throw error;
  });
  const { logger, secrets } = domus;
  const management = domus.managementRoot();

  logger.info({ url, management, database: config.database.kind }, 'Domus is serving');
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
  const adminRoot = config.managementAdmin && management ? management : url;
  if (secrets.generated.adminTokenFile) {
    process.stdout.write(
      `\nAdmin API: ${adminRoot}/admin/v1 — first start, generated admin token: ${secrets.adminToken}\n`,
    );
  }
  const served = [
    '/healthz',
    '/readyz',
    ...(config.metrics ? ['/metrics'] : []),
    ...(config.managementAdmin ? ['/admin/v1'] : []),
  ];
  const managementLine = management ? `  management:  ${management} (${served.join(', ')})\n` : '';
  process.stdout.write(
    `\nDomus ${url}\n${managementLine}  admin token: ${tokenSource}\n  Domain CA:   ${url}/flashaccess/domain-ca.pem\n  OpenAPI:     ${url}/openapi.json\n\n`,
  );
  if (config.demo) process.stdout.write(demoHelp(url, adminRoot, tokenSource, config.demoUsersFile));

  const signal = await nextSignal();
  logger.info({ signal, graceS: config.shutdownGraceS }, 'shutting down');
  let closed = false;
  // Whatever hangs (a database that never answers, a handle left open), the process ends.
  const backstop = setTimeout(
    () => {
      if (!closed) logger.error('shutdown did not finish in time; exiting');
      process.exit(closed ? 0 : 1);
    },
    (config.shutdownGraceS + BACKSTOP_S) * 1000,
  );
  backstop.unref();
  await domus.close({ hurry: nextSignal() });
  closed = true;
  logger.info('shut down');
  return 0;
}

/** The next SIGTERM or SIGINT (the first starts the shutdown, a second cuts its grace period short). */
function nextSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(signal);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
}

/** How to try the demo data the embedded default seeds (README, "Sign in with a demo MVPD"). */
function demoHelp(url: string, adminRoot: string, tokenSource: string, usersFile: string | undefined): string {
  const users = usersFile
    ? `Demo users: from ${usersFile}.`
    : `Users, password = user name: alice and bob (household-1, entitled to DemoChannel), carol
(household-2, entitled to nothing).`;
  return `Demo data (DOMUS_DEMO): service provider DemoChannel; MVPDs DemoCable (with a logout endpoint) and
DemoSat (without), served at ${url}/demo-mvpd/<id>; application demo-app (redirect domains localhost,
127.0.0.1). ${users}
  software statement: GET ${adminRoot}/admin/v1/applications/demo-app/software-statement (admin token: ${tokenSource})
  then /o/client/register, /o/client/token and /api/v2/DemoChannel/… — walk-through in the README.

`;
}
