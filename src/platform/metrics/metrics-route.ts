/**
 * `GET /metrics`: the app's metrics and the process's (process-metrics.ts) in Prometheus's text
 * format. Unauthenticated like the health probes, and without the per-request info log line
 * (a scrape every few seconds would fill the log); outside the throttle, which only the
 * entitlement API's scopes have.
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { processMetrics } from './process-metrics.js';

export const METRICS_PATH = '/metrics';

export function metricsRoute(target: FastifyInstance, registry: Registry): void {
  // Collecting starts now, not at the first scrape: the event-loop lag is watched from the start.
  const processRegistry = processMetrics();
  target.get(METRICS_PATH, { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    const [own, process] = await Promise.all([registry.metrics(), processRegistry.metrics()]);
    return reply.type(Registry.PROMETHEUS_CONTENT_TYPE).send(`${own}\n${process}`);
  });
}
