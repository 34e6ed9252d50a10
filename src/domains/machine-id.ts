/**
 * Machine identity. A machine ID is the list of component digests a device reports at
 * individualization; the GUID is the random id of one individualization (one app install).
 */

/** Each component is the base64url SHA-256 of one hardware property. */
export const COMPONENT_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const MIN_COMPONENTS = 3;
export const MAX_COMPONENTS = 16;

export function isMachineId(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.length >= MIN_COMPONENTS &&
    value.length <= MAX_COMPONENTS &&
    value.every((c) => typeof c === 'string' && COMPONENT_PATTERN.test(c))
  );
}

/**
 * The RI's `MachineId.matches()`: two machine IDs belong to one physical machine when they share
 * at least ⌈2/3 × min(|a|, |b|)⌉ component digests. Replacing one disk of four still matches.
 */
export function machinesMatch(a: readonly string[], b: readonly string[]): boolean {
  const smaller = a.length <= b.length ? a : b;
  const larger = new Set(a.length <= b.length ? b : a);
  const needed = Math.ceil((2 / 3) * smaller.length);
  let shared = 0;
  for (const component of new Set(smaller)) {
    if (larger.has(component)) shared++;
  }
  return shared >= needed;
}
