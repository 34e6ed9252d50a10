/**
 * Whether an MVPD's entitlements cover a resource (docs/entitlement-api.md, "Decisions"): the
 * entitlement claim lists resource ids, `*` meaning every resource. Resource ids are compared
 * exactly, as sent.
 */

export const ALL_RESOURCES = '*';

export function entitles(entitlements: readonly string[], resource: string): boolean {
  return entitlements.includes(ALL_RESOURCES) || entitlements.includes(resource);
}
