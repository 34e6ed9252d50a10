/**
 * Polling for what another process (or connection) makes true soon but not at once: asks `read`
 * until `done` holds of its answer or `timeoutMs` has passed, and answers the last answer, for
 * the caller to assert on.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}
