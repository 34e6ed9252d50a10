/** A worker for the WorkerPool tests: echoes, throws or exits as asked. */
import { serveRequests } from '../../src/platform/workers/worker-entry.js';

export type EchoRequest = { echo: string } | { fail: string } | { exit: number };

serveRequests((request: EchoRequest) => {
  if ('fail' in request) throw new Error(request.fail);
  if ('exit' in request) process.exit(request.exit);
  return request.echo;
});
