/** `domus serve`: runs the server until SIGTERM or SIGINT, then shuts down cleanly. */
import { createDomus } from '../app.js';
import { loadConfig } from '../platform/config.js';

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
  const tokenSource = config.adminToken ? 'DOMUS_ADMIN_TOKEN' : `${config.dataDir}/admin-token`;
  if (secrets.generated.adminTokenFile) {
    process.stdout.write(`\nAdmin API: ${url}/admin/v1 — first start, generated admin token: ${secrets.adminToken}\n`);
  }
  process.stdout.write(
    `\nDomus ${url}\n  admin token: ${tokenSource}\n  Domain CA:   ${url}/flashaccess/domain-ca.pem\n  OpenAPI:     ${url}/openapi.json\n\n`,
  );

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
