/**
 * Every rate limit off. Tests make many requests from one address: the test server turns the
 * limits off, the limits' own tests turn them on, and tests that start `domus serve` processes
 * under load spread this into their environment.
 */
export const NO_RATE_LIMITS: Record<string, string> = {
  DOMUS_THROTTLE: 'off',
  DOMUS_DOMAIN_CREATE_LIMIT_MACHINE: 'off',
  DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS: 'off',
  DOMUS_DOMAIN_JOIN_LIMIT_MACHINE: 'off',
  DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS: 'off',
  DOMUS_ADMIN_AUTH_LIMIT: 'off',
};
