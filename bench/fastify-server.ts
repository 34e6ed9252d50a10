/**
 * The trivial fastify route: the entitlement API's reference, a fastify app (as Domus is one)
 * answering a small JSON on one GET route. Run as a child process by the benchmark; prints
 * `fastify <url>` once listening on 127.0.0.1 and stops on SIGTERM.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.server.keepAliveTimeout = 30_000;
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`fastify ${address}\n`);
process.once('SIGTERM', () => {
  void app.close();
});
