/**
 * The three parameters of an authentication session (docs/entitlement-api.md, "5. Sign the viewer
 * in" and "Where Adobe's sources disagree"): `mvpd`, `domainName`, `redirectUrl`, named as in the
 * request everywhere (also in `missingParameters`).
 *
 * Every one may be left out (the session then asks for a resume); an empty value counts as left
 * out. A value that is given must be good, or the request fails and changes nothing:
 *
 * - `mvpd` names a known MVPD (`invalid_parameter_mvpd`) with an active integration with the
 *   service provider (`invalid_integration`);
 * - `redirectUrl` is an absolute http(s) URL on one of the calling application's redirect
 *   domains (`invalid_parameter_redirect_url`): Domus never redirects anywhere else;
 * - `domainName` is a host name (checked by the route schema; Domus passes it on nowhere).
 */
import { PassError } from '../errors.js';
import { isAllowedRedirect } from '../operator/model.js';
import type { OperatorStore } from '../operator/store.js';
import type { SessionParameters } from './session-store.js';

export const PARAMETER_NAMES = ['mvpd', 'domainName', 'redirectUrl'] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

/** The parameters as a request sends them (form fields, each optional). */
export type RequestParameters = Partial<Record<ParameterName, string>>;

/** The parameters a request gives: trimmed, empty ones dropped. */
export function givenParameters(request: RequestParameters): Partial<SessionParameters> {
  const given: Partial<SessionParameters> = {};
  for (const name of PARAMETER_NAMES) {
    const value = request[name]?.trim();
    if (value) given[name] = value;
  }
  return given;
}

/** The names of the parameters a session still lacks, in the request's order. */
export function missingParameters(parameters: SessionParameters): ParameterName[] {
  return PARAMETER_NAMES.filter((name) => parameters[name] === null);
}

/** The parameters a session has, by name. */
export function existingParameters(parameters: SessionParameters): Partial<Record<ParameterName, string>> {
  const existing: Partial<Record<ParameterName, string>> = {};
  for (const name of PARAMETER_NAMES) {
    const value = parameters[name];
    if (value !== null) existing[name] = value;
  }
  return existing;
}

/** Checks of given parameters against the operator's model and the calling application. */
export class SessionParameterChecks {
  constructor(private readonly store: Pick<OperatorStore, 'mvpd' | 'integration'>) {}

  /** Throws the enhanced error of the first bad parameter; resolves when all given ones are good. */
  async check(
    given: Partial<SessionParameters>,
    caller: { serviceProviderId: string; redirectDomains: readonly string[] },
  ): Promise<void> {
    if (given.mvpd) await this.checkMvpd(caller.serviceProviderId, given.mvpd);
    if (given.redirectUrl && !isAllowedRedirect(given.redirectUrl, caller.redirectDomains)) {
      throw new PassError(
        'invalid_parameter_redirect_url',
        "redirectUrl must be an absolute http(s) URL on one of the application's redirect domains",
      );
    }
  }

  /** The MVPD exists and its integration with the service provider is active. */
  async checkMvpd(serviceProviderId: string, mvpdId: string): Promise<void> {
    if (!(await this.store.mvpd(mvpdId))) throw new PassError('invalid_parameter_mvpd', 'unknown MVPD');
    const integration = await this.store.integration(serviceProviderId, mvpdId);
    if (!integration?.active) {
      throw new PassError(
        'invalid_integration',
        `the integration of ${serviceProviderId} with ${mvpdId} is ${integration ? 'inactive' : 'missing'}`,
      );
    }
  }
}
