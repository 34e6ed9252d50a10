/**
 * The worker side of WorkerPool: answers each batch of `{ id, request }` with one message holding
 * each handler's result, or the error's message (never its stack: nothing internal crosses back).
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerAnswer, WorkerEnvelope } from './worker-pool.js';

export function serveRequests<Request>(handle: (request: Request) => unknown): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests runs inside a worker thread');
  port.on('message', (batch: WorkerEnvelope<Request>[]) => {
    port.postMessage(batch.map(({ id, request }): WorkerAnswer => answer(id, () => handle(request))));
  });
}

function answer(id: number, work: () => unknown): WorkerAnswer {
  try {
    return { id, result: work() };
  } catch (error) {
    return { id, error: (error as Error).message ?? String(error) };
  }
}
