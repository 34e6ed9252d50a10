/**
 * Node.js's own metrics (event-loop lag, heap, GC, CPU, handles: prom-client's default set),
 * collected once per process into a registry of their own. They describe the process, not an
 * app, and collecting them twice would add a second GC observer and event-loop monitor: every
 * app of the process (the tests make several) shows the same ones.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
