/**
 * The MVPD of an active integration (docs/entitlement-api.md, "Operator setup"): every V2 call that
 * names an MVPD (sessions, profiles, decisions, logout, household tokens) needs it to exist
 * (`invalid_parameter_mvpd` otherwise) and its integration with the service provider to exist and
 * be active (`invalid_integration` otherwise).
 */
import { PassError } from '../errors.js';
import type { Mvpd } from './model.js';
import type { OperatorStore } from './store.js';

export async function activeIntegrationMvpd(
  store: OperatorStore,
  serviceProviderId: string,
  mvpdId: string,
): Promise<Mvpd> {
  const found = await store.mvpdOf(serviceProviderId, mvpdId);
  if (!found) throw new PassError('invalid_parameter_mvpd', `unknown MVPD ${mvpdId}`);
  if (!found.active) {
    throw new PassError(
      'invalid_integration',
      found.active === false ? `the integration with ${mvpdId} is inactive` : `no integration with ${mvpdId}`,
    );
  }
  return found.mvpd;
}
