/**
 * A TCP proxy in front of the test PostgreSQL server, to provoke the network's faults on demand:
 * `cut()` drops every open connection and refuses new ones (a database that went away), and
 * `restore()` lets connections through again (the database is back). Only loopback addresses.
 */
import net from 'node:net';

export interface TcpProxy {
  /** A copy of `url` (postgres://…) that goes through the proxy. */
  route(url: string): string;
  /** Open client connections through the proxy. */
  connections(): number;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let port = 0;

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  await listen();

  return {
    route(url) {
      const routed = new URL(url);
      routed.hostname = '127.0.0.1';
      routed.port = String(port);
      return routed.href;
    },
    connections: () => sockets.size / 2,
    async cut() {
      const closed = stopListening();
      dropAll();
      await closed;
    },
    restore: listen,
    async close() {
      const closed = stopListening();
      dropAll();
      await closed;
    },
  };
}
