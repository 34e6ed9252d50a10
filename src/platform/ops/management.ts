/**
 * Where the management listener (DOMUS_MANAGEMENT_PORT; docs/running.md, "Management listener")
 * is reached from this machine: what `domus serve` prints and `domus admin` calls.
 */

/** The root URL of a listener bound to `host` and `port`: a wildcard address as localhost, IPv6 in brackets. */
export function listenerUrl(host: string, port: number | undefined): string {
  const reachable = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
