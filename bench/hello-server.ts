/**
 * The machine-noise reference: the smallest useful node:http server. Run as a child process by
 * the benchmark; prints `hello <url>` once listening on 127.0.0.1 and stops on SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('{"hello":"world"}');
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`hello http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
