/**
 * An MVPD's entitlement claim (docs/entitlement-api.md, "Decisions"): the list of resources a user
 * may watch, read from the user's claims. `*` entitles every resource.
 */

export const ALL_RESOURCES = '*';

/**
 * The resources `claims[entitlementClaim]` lists: a JSON array of strings, or one string of
 * ids separated by spaces or commas. `['*']` when every resource is entitled; `[]` when the claim
 * is absent or empty.
 */
export function entitlementsFromClaims(claims: Record<string, unknown>, entitlementClaim: string): string[] {
  const value = Object.hasOwn(claims, entitlementClaim) ? claims[entitlementClaim] : undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const resources = [
    ...new Set(items.filter((item): item is string => typeof item === 'string').map((item) => item.trim())),
  ].filter((item) => item !== '');
  return resources.includes(ALL_RESOURCES) ? [ALL_RESOURCES] : resources;
}

/** Whether a resource is among the entitlements (or every resource is). */
export function isEntitled(entitlements: readonly string[], resource: string): boolean {
  return entitlements.includes(ALL_RESOURCES) || entitlements.includes(resource);
}
