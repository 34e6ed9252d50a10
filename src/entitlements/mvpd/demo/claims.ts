/**
 * What the demo identity provider says about a user: its scopes and the claims each carries.
 * `tve` is the TV-Everywhere scope: user id, household id and the entitled channels.
 */
import type { DemoUser } from './users.js';

export const DEMO_SCOPES = ['openid', 'profile', 'tve'] as const;

/** Claims per scope, in oidc-provider's `claims` configuration shape. */
export const DEMO_SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  tve: ['userID', 'householdID', 'channels'],
} as const;

/** Every claim of a user; the provider hands out those of the granted scopes. */
export function demoUserClaims(user: DemoUser): Record<string, unknown> {
  return {
    sub: user.userID,
    name: user.user,
    preferred_username: user.user,
    userID: user.userID,
    householdID: user.householdID,
    channels: [...user.channels],
  };
}
