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

/** The children of one route template and method. */
interface RouteSeries {
  observe: Observe;
  byStatus: Map<number, Increment>;
}

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
  // The labelled children, made once per label set and found by route, method and status in
  // nested maps: no key string is built per request (the strings looked up are fastify's own).
  const series = new Map<string, Map<string, RouteSeries>>();
  const seriesOf = (route: string, method: string): RouteSeries => {
    let byMethod = series.get(route);
    if (!byMethod) {
      byMethod = new Map();
      series.set(route, byMethod);
    }
    let found = byMethod.get(method);
    if (!found) {
      found = { observe: duration.labels(route, method).observe, byStatus: new Map() };
      byMethod.set(method, found);
    }
    return found;
  };

  // A callback hook, not an async one: no promise per request.
  const count = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = seriesOf(request.routeOptions.url ?? UNMATCHED_ROUTE, request.method);
    route.observe(reply.elapsedTime / 1000);
    const status = reply.statusCode;
    let increment = route.byStatus.get(status);
    if (!increment) {
      increment = requests.labels(request.routeOptions.url ?? UNMATCHED_ROUTE, request.method, String(status)).inc;
      route.byStatus.set(status, increment);
    }
    increment();
    done();
  };
  for (const app of new Set(apps)) app.addHook('onResponse', count);
}
