/** A worker for the WorkerPool tests: echoes, throws, exits or counts the messages it got, as asked. */
import { parentPort } from 'node:worker_threads';
import { serveRequests } from '../../src/platform/workers/worker-entry.js';

export type EchoRequest = { echo: string } | { fail: string } | { exit: number } | { messages: true };

let messages = 0;
parentPort?.on('message', () => {
  messages++;
});

serveRequests((request: EchoRequest) => {
  if ('fail' in request) throw new Error(request.fail);
  if ('exit' in request) process.exit(request.exit);
  if ('messages' in request) return messages;
  return request.echo;
});
