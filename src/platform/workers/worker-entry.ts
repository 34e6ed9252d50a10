/**
 * The worker side of WorkerPool: answers each `{ id, request }` with the handler's result, or
 * with the error's message (never its stack: nothing internal crosses back).
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerEnvelope } from './worker-pool.js';

export function serveRequests<Request>(handle: (request: Request) => unknown): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests runs inside a worker thread');
  port.on('message', ({ id, request }: WorkerEnvelope<Request>) => {
    try {
      port.postMessage({ id, result: handle(request as Request) });
    } catch (error) {
      port.postMessage({ id, error: (error as Error).message ?? String(error) });
    }
  });
}
