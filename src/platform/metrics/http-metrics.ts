/**
 * Every answer of an HTTP server counted by route template, method and status, and timed by
 * route template and method. Labels stay bounded: the template (`/api/v2/:serviceProvider/…`),
 * never the URL; a request no route matched is `UNMATCHED_ROUTE`. The latency histogram leaves
 * the status out, so its series (one per bucket) do not multiply by the statuses.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

export const UNMATCHED_ROUTE = 'unmatched';

/** Seconds: 1 ms to 10 s, around the few milliseconds a request takes here. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Observe = (seconds: number) => void;
type Increment = (by?: number) => void;

/**
 * Adds the onResponse hook that counts to each server (the public listener, and the management
 * one when there is one); add it before any route is registered.
 */
export function countRequests(apps: FastifyInstance[], registry: Registry): void {
  const requests = new Counter({
    name: 'domus_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'domus_http_request_duration_seconds',
    help: 'Time from request to the answer sent, by route template and method.',
    labelNames: ['route', 'method'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  // The labelled children, made once per label set: the hook then costs two map look-ups.
  const timers = new Map<string, Observe>();
  const counters = new Map<string, Increment>();

  // A callback hook, not an async one: no promise per request.
  const count = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const method = request.method;
    const key = `${method} ${route}`;
    let observe = timers.get(key);
    if (!observe) {
      observe = duration.labels(route, method).observe;
      timers.set(key, observe);
    }
    observe(reply.elapsedTime / 1000);
    const status = reply.statusCode;
    const countKey = `${status} ${key}`;
    let increment = counters.get(countKey);
    if (!increment) {
      increment = requests.labels(route, method, String(status)).inc;
      counters.set(countKey, increment);
    }
    increment();
    done();
  };
  for (const app of new Set(apps)) app.addHook('onResponse', count);
}
