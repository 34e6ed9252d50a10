/**
 * Closing the HTTP listeners at shutdown (docs/running.md, "Shutdown"). Each listener stops
 * accepting connections and closes its idle keep-alive connections at once; every request in
 * flight gets to finish, and its answer closes its connection (http/server.ts), so no
 * keep-alive connection outlives its last answer. What is still open when the grace period ends,
 * or when `hurry` settles (a second signal), is cut.
 *
 * The listeners close in the order given: the public one first, so that a management listener
 * goes on answering /readyz ("shutting down") and /metrics while the public one drains.
 */
import type { HttpServer } from '../http/server.js';

export interface CloseOptions {
  /** How long requests in flight may take, all listeners together. */
  graceMs: number;
  /** Settles when the rest of the grace period is to be skipped. */
  hurry?: Promise<unknown>;
}

/** Closes each listener once; answers how many connections had to be cut. */
export async function closeListeners(listeners: HttpServer[], options: CloseOptions): Promise<number> {
  let late = false;
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.graceMs);
    options.hurry?.then(
      () => resolve(),
      () => resolve(),
    );
  }).then(() => {
    late = true;
  });
  let cut = 0;
  try {
    for (const listener of new Set(listeners)) {
      const closed = listener.close();
      await Promise.race([closed, graceOver]);
      if (late) {
        cut += await openConnections(listener);
        listener.server.closeAllConnections();
        await closed;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return cut;
}

function openConnections(listener: HttpServer): Promise<number> {
  return new Promise((resolve) => listener.server.getConnections((error, count) => resolve(error ? 0 : count)));
}
