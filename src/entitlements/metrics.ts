/**
 * What the entitlement API counts for Prometheus (docs/running.md, "Metrics"): sign-ins (profiles
 * made by a login at the MVPD), logouts by action, decisions by result and media tokens, each by
 * MVPD. MVPD ids are the operator's (bounded by the operator model); a request that named no
 * active MVPD counts under the empty id, never under the id it sent.
 *
 * Sign-ins, logouts that ended a profile and decisions (by result) also go to the shared activity
 * counts (platform/ops/activity.ts); error answers are counted where they are sent (api/pass-api.ts).
 */
import { Counter, type Registry } from 'prom-client';
import type { Activity } from '../platform/ops/activity.js';
import type { DecisionKind } from './decisions/decision-service.js';
import type { MvpdLogout } from './logout/logout-service.js';

/** `error`: the request came to no decision (a top-level error answer). */
export type DecisionResult = 'permit' | 'deny' | 'error';

export class EntitlementMetrics {
  readonly #signIns: Counter<'mvpd'>;
  readonly #logouts: Counter<'mvpd' | 'action'>;
  readonly #decisions: Counter<'kind' | 'mvpd' | 'result'>;
  readonly #mediaTokens: Counter<'mvpd'>;

  constructor(
    registry: Registry,
    private readonly activity: Pick<Activity, 'count'>,
  ) {
    const registers = [registry];
    this.#signIns = new Counter({
      name: 'domus_sign_ins_total',
      help: 'Successful sign-ins at an MVPD (profiles made), by MVPD.',
      labelNames: ['mvpd'],
      registers,
    });
    this.#logouts = new Counter({
      name: 'domus_logouts_total',
      help: 'Logouts answered, by MVPD and actionName (logout, complete, invalid).',
      labelNames: ['mvpd', 'action'],
      registers,
    });
    this.#decisions = new Counter({
      name: 'domus_decisions_total',
      help: 'Preauthorize and authorize decisions, by kind, MVPD and result (permit, deny; error: none made).',
      labelNames: ['kind', 'mvpd', 'result'],
      registers,
    });
    this.#mediaTokens = new Counter({
      name: 'domus_media_tokens_issued_total',
      help: 'Media tokens issued with authorize permits, by MVPD.',
      labelNames: ['mvpd'],
      registers,
    });
  }

  signIn(mvpd: string): void {
    this.#signIns.inc({ mvpd });
    this.activity.count('sign_in');
  }

  logout(answer: Pick<MvpdLogout, 'mvpd' | 'actionName'>): void {
    this.#logouts.inc({ mvpd: answer.mvpd, action: answer.actionName });
    // `invalid`: there was no profile to end.
    if (answer.actionName !== 'invalid') this.activity.count('logout');
  }

  decision(kind: DecisionKind, mvpd: string, result: DecisionResult): void {
    this.#decisions.inc({ kind, mvpd, result });
    // A request that came to no decision is counted by its error answer instead.
    if (result !== 'error') this.activity.count('decision', result);
  }

  mediaToken(mvpd: string): void {
    this.#mediaTokens.inc({ mvpd });
  }
}
