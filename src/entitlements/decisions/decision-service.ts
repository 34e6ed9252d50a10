/**
 * Preauthorization and authorization decisions (docs/entitlement-api.md,
 * "Decisions"): validate → integration → resource limit → profile → one decision per resource.
 *
 * - The MVPD's entitlements, taken from its claims at login and kept with the profile, decide:
 *   a resource is permitted when they contain it or `*`; `source` is `mvpd`.
 * - A deny is an item with `authorized: false` and an item-level error,
 *   `preauthorization_denied_by_mvpd` or `authorization_denied_by_mvpd` (403, action none).
 * - Each decision is valid from now for the MVPD's authZ TTL (never past the profile's end).
 * - An authorize permit carries a media token; preauthorize never does (it entitles nothing).
 * - Preauthorize takes up to 5 resources (Adobe's default "Preflight Max Resources"), authorize
 *   exactly 1 (Adobe: "usually 1"; a media token names one resource). More → top-level 403
 *   `too_many_resources`, action configuration.
 * - No profile → top-level 403 `authenticated_profile_missing` / `_expired` (profiles/current-profile.ts).
 */
import { PassError } from '../errors.js';
import type { EntitlementMetrics } from '../metrics.js';
import { activeIntegrationMvpd } from '../operator/active-mvpd.js';
import type { OperatorStore } from '../operator/store.js';
import { currentProfile } from '../profiles/current-profile.js';
import type { ProfileKey, ProfileStore } from '../profiles/profile-store.js';
import type { IssuedMediaToken, MediaTokens } from '../tokens/media-tokens.js';
import { entitles } from './entitlement-match.js';

export type DecisionKind = 'preauthorize' | 'authorize';

export const MAX_RESOURCES: Record<DecisionKind, number> = { preauthorize: 5, authorize: 1 };

export interface DecisionRequest {
  key: ProfileKey;
  mvpdId: string;
  resources: string[];
}

export interface Decision {
  resource: string;
  serviceProvider: string;
  mvpd: string;
  source: 'mvpd';
  authorized: boolean;
  /** Validity of the decision, epoch ms. */
  notBefore: number;
  notAfter: number;
  /** On an authorize permit only. */
  token?: IssuedMediaToken;
  /** On a deny only: rendered as the item's enhanced error. */
  error?: PassError;
}

export class DecisionService {
  constructor(
    private readonly deps: {
      store: OperatorStore;
      profiles: ProfileStore;
      mediaTokens: MediaTokens;
      metrics: EntitlementMetrics;
    },
  ) {}

  /** The decisions, each counted (metrics.ts); a request that comes to none counts as one error. */
  async decide(kind: DecisionKind, request: DecisionRequest, now = Date.now()): Promise<Decision[]> {
    const { metrics } = this.deps;
    // The MVPD once it is known active: an error before that counts under no MVPD.
    const counted = { mvpd: '' };
    try {
      const decisions = await this.#decide(kind, request, now, counted);
      for (const decision of decisions) {
        metrics.decision(kind, decision.mvpd, decision.authorized ? 'permit' : 'deny');
        if (decision.token) metrics.mediaToken(decision.mvpd);
      }
      return decisions;
    } catch (error) {
      metrics.decision(kind, counted.mvpd, 'error');
      throw error;
    }
  }

  async #decide(kind: DecisionKind, request: DecisionRequest, now: number, counted: { mvpd: string }) {
    const { key, mvpdId, resources } = request;
    const mvpd = await activeIntegrationMvpd(this.deps.store, key.serviceProviderId, mvpdId);
    counted.mvpd = mvpd.id;
    const limit = MAX_RESOURCES[kind];
    if (resources.length > limit) {
      throw new PassError(
        'too_many_resources',
        `${kind} takes at most ${limit} resource${limit === 1 ? '' : 's'} per request, got ${resources.length}`,
      );
    }
    const profile = await currentProfile(this.deps.profiles, key, mvpd.id, now);
    const notAfter = Math.min(now + mvpd.authzTtlS * 1000, profile.notAfter);
    const denial = kind === 'authorize' ? 'authorization_denied_by_mvpd' : 'preauthorization_denied_by_mvpd';

    return Promise.all(
      resources.map(async (resource): Promise<Decision> => {
        const base = {
          resource,
          serviceProvider: key.serviceProviderId,
          mvpd: mvpd.id,
          source: 'mvpd' as const,
          notBefore: now,
          notAfter,
        };
        if (!entitles(profile.upstream.entitlements, resource)) {
          return {
            ...base,
            authorized: false,
            error: new PassError(denial, `${mvpd.displayName} does not entitle this subscriber to ${resource}`),
          };
        }
        if (kind === 'preauthorize') return { ...base, authorized: true };
        const token = await this.deps.mediaTokens.issue(
          { serviceProvider: key.serviceProviderId, resource, mvpd: mvpd.id, sessionId: profile.sessionId },
          now,
        );
        return { ...base, authorized: true, token };
      }),
    );
  }
}
