/**
 * What the domain server counts for Prometheus (docs/running.md, "Metrics"): each join and leave
 * by operation, mode and outcome, individualizations by outcome, and key rollovers. An outcome is
 * `ok` or the error name of the answer (errors.ts; SERVER_UNAVAILABLE, SERVER_ERROR): every
 * label value comes from a fixed list, never from the request.
 *
 * The same events also go to the shared activity counts (platform/ops/activity.ts): successful
 * joins, committed leaves and removals, and every error answer by its name.
 */
import { Counter, type Registry } from 'prom-client';
import type { Activity } from '../platform/ops/activity.js';
import type { Mode } from './records.js';

/** A leave or removal refused before its phase was read is `leave` or `remove`. */
export type CountedOperation =
  | 'join'
  | 'leave-preview'
  | 'leave-commit'
  | 'leave'
  | 'members'
  | 'remove-preview'
  | 'remove-commit'
  | 'remove';

export class DomainMetrics {
  readonly #operations: Counter<'operation' | 'mode' | 'outcome'>;
  readonly #individualizations: Counter<'outcome'>;
  readonly #rollovers: Counter<'mode'>;

  constructor(
    registry: Registry,
    private readonly activity: Pick<Activity, 'count'>,
  ) {
    const registers = [registry];
    this.#operations = new Counter({
      name: 'domus_domain_operations_total',
      help: 'Domain protocol requests answered (join, leave, members, remove), by operation, mode and outcome (ok or the error name).',
      labelNames: ['operation', 'mode', 'outcome'],
      registers,
    });
    this.#individualizations = new Counter({
      name: 'domus_domain_individualizations_total',
      help: 'Individualization requests answered, by outcome (ok or the error name).',
      labelNames: ['outcome'],
      registers,
    });
    this.#rollovers = new Counter({
      name: 'domus_domain_key_rollovers_total',
      help: 'New domain key versions made by a rollover (after a leave, a released machine or the admin API).',
      labelNames: ['mode'],
      registers,
    });
  }

  operation(operation: CountedOperation, mode: Mode, outcome: string): void {
    this.#operations.inc({ operation, mode, outcome });
    if (outcome !== 'ok') this.activity.count('error', outcome);
    else if (operation === 'join') this.activity.count('join');
    else if (operation === 'leave-commit') this.activity.count('leave');
    else if (operation === 'remove-commit') this.activity.count('remove');
  }

  individualization(outcome: string): void {
    this.#individualizations.inc({ outcome });
    if (outcome !== 'ok') this.activity.count('error', outcome);
  }

  keyRollover(mode: Mode): void {
    this.#rollovers.inc({ mode });
  }
}
