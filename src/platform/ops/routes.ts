/**
 * The operational routes, on whichever listener serves them (the management listener when
 * DOMUS_MANAGEMENT_PORT is set, else the public one; docs/running.md):
 *
 * - `GET /healthz`: 200 while the process serves (liveness; asks nothing of the database);
 * - `GET /readyz`: 200 when every readiness check passes (health.ts), else 503 naming them;
 * - `GET /metrics`: Prometheus metrics (platform/metrics/), when DOMUS_METRICS is on.
 *
 * Unauthenticated, outside the throttle (only the entitlement API's scopes have one), and without
 * the per-request info log line (a probe every few seconds would fill the log). Every route of
 * this kind is registered here, so there is one place to look.
 */
import type { Registry } from 'prom-client';
import { type Static, Type } from 'typebox';
import type { HttpServer } from '../http/server.js';
import { metricsRoute } from '../metrics/metrics-route.js';
import type { Readiness } from './health.js';

export interface OperationsDeps {
  readiness: Readiness;
  /** The registry /metrics serves, or null when DOMUS_METRICS is off. */
  metrics: Registry | null;
}

const Health = Type.Object({ status: Type.Literal('ok') });
const Ready = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable'), Type.Literal('shutting down')]),
    checks: Type.Record(Type.String(), Type.String()),
  },
  { description: 'Each check: `ok`, or what is wrong with it.' },
);
type ReadyBody = Static<typeof Ready>;

const quiet = { logLevel: 'warn' } as const;

export function mountOperations(target: HttpServer, deps: OperationsDeps): void {
  target.get(
    '/healthz',
    {
      ...quiet,
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process serves',
        response: { 200: Health },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' as const }),
  );
  target.get(
    '/readyz',
    {
      ...quiet,
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers, the schema is current, the keys are loaded',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const report: ReadyBody = await deps.readiness.check();
      return reply
        .status(report.status === 'ready' ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(report);
    },
  );
  if (deps.metrics) metricsRoute(target, deps.metrics);
}
