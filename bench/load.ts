/**
 * Closed-loop HTTP load: a fixed number of workers on keep-alive connections (node:http Agent),
 * each sending its next prepared request as soon as the previous answer has been read. A run
 * ends when the prepared requests run out or its time is up, whichever comes first.
 */
import http from 'node:http';

/** A request that takes longer than this counts as failed (status 0). */
const REQUEST_TIMEOUT_MS = 30_000;

export interface PreparedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string | number>;
  body?: Buffer;
}

export interface LoadOptions {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The request of number `index`, or undefined when there are no more. */
  source: (index: number) => PreparedRequest | undefined;
  concurrency: number;
  maxMs: number;
  /** Checks the body of each 200 answer; a 200 it refuses counts as a failure with status -1. */
  verify?: (body: Buffer) => boolean;
  /** The status that counts as success; default 200. */
  expectStatus?: number;
}

export interface LoadResult {
  completed: number;
  /** Answers other than 200, by status (0 = transport error, -1 = a 200 whose body `verify` refused). */
  failures: Record<number, number>;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Why the run ended. */
  endedBy: 'requests' | 'time';
  /** Latency of every successful request, ascending, in milliseconds. */
  latencies: number[];
}

/** A prepared POST of a compact JWS to a protocol path. */
export function josePost(path: string, jws: string): PreparedRequest {
  const body = Buffer.from(jws);
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/jose', 'content-length': body.length },
    body,
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.origin);
  if (url.hostname !== '127.0.0.1') throw new Error(`load goes to 127.0.0.1 only, not ${url.hostname}`);
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.concurrency,
    maxFreeSockets: options.concurrency,
  });
  const port = Number(url.port);
  const verify = options.verify;
  const expected = options.expectStatus ?? 200;
  const latencies: number[] = [];
  const failures: Record<number, number> = {};
  let next = 0;
  let ranOut = false;
  const started = performance.now();
  const deadline = started + options.maxMs;

  const send = (request: PreparedRequest) =>
    new Promise<number>((resolve) => {
      let done = false;
      const finish = (status: number) => {
        if (done) return;
        done = true;
        resolve(status);
      };
      const outgoing = http.request(
        { agent, host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers },
        (response) => {
          const chunks: Buffer[] = [];
          const keep = verify !== undefined && response.statusCode === 200;
          response.on('data', (chunk: Buffer) => {
            if (keep) chunks.push(chunk);
          });
          response.once('end', () => {
            const status = response.statusCode ?? 0;
            finish(keep && verify?.(Buffer.concat(chunks)) !== true ? -1 : status);
          });
          response.once('error', () => finish(0));
          response.once('close', () => finish(response.complete ? (response.statusCode ?? 0) : 0));
        },
      );
      outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => outgoing.destroy(new Error('request timed out')));
      outgoing.once('error', () => finish(0));
      outgoing.once('close', () => setImmediate(() => finish(0)));
      outgoing.end(request.body);
    });

  const worker = async () => {
    while (performance.now() < deadline) {
      const request = options.source(next++);
      if (!request) {
        ranOut = true;
        return;
      }
      const sent = performance.now();
      const status = await send(request);
      if (status === expected) latencies.push(performance.now() - sent);
      else failures[status] = (failures[status] ?? 0) + 1;
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    completed: latencies.length,
    failures,
    elapsedMs,
    perSecond: (latencies.length * 1000) / elapsedMs,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    endedBy: ranOut ? 'requests' : 'time',
    latencies,
  };
}

/** Nearest-rank percentile of sorted values (NaN when there are none). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Latencies of several runs merged, for runs interleaved in rounds. */
export function mergePercentiles(samples: readonly number[]): { p50Ms: number; p99Ms: number; count: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), count: sorted.length };
}

/** Throws when a run had failures: a benchmark of errors measures nothing. */
export function assertClean(what: string, result: LoadResult): void {
  const failed = Object.values(result.failures).reduce((sum, n) => sum + n, 0);
  if (failed > 0) throw new Error(`${what}: ${failed} requests failed (by status: ${JSON.stringify(result.failures)})`);
  if (result.completed === 0) throw new Error(`${what}: no request completed`);
}
