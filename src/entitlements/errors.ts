/**
 * Adobe Pass enhanced error codes (docs/entitlement-api.md, "Errors"; Adobe's list of REST API V2
 * codes): every code with its status and action, and the error type the entitlement API throws.
 * Transport-neutral; the routes render it as the enhanced error object `{ action, status, code,
 * message, details?, helpUrl?, trace }`.
 */
export type ErrorAction =
  | 'none'
  | 'configuration'
  | 'application-registration'
  | 'authentication'
  | 'authorization'
  | 'retry';

type Entry = readonly [status: number, action: ErrorAction, message: string];

export const PASS_ERRORS = {
  invalid_parameter_service_provider: [400, 'none', 'The service provider parameter is missing or invalid.'],
  invalid_parameter_mvpd: [400, 'none', 'The MVPD parameter is missing or invalid.'],
  invalid_parameter_code: [400, 'none', 'The code parameter is missing or invalid.'],
  invalid_parameter_resources: [400, 'none', 'The resources parameter is missing or invalid.'],
  invalid_parameter_redirect_url: [400, 'none', 'The redirect URL parameter is missing or invalid.'],
  invalid_parameter_partner: [400, 'none', 'The partner parameter is missing or invalid.'],
  invalid_parameter_saml_response: [400, 'none', 'The SAMLResponse parameter is missing or invalid.'],
  invalid_header_device_info: [400, 'none', 'The X-Device-Info header is missing or invalid.'],
  invalid_header_device_identifier: [400, 'none', 'The AP-Device-Identifier header is missing or invalid.'],
  invalid_header_identity_for_temporary_access: [400, 'none', 'The AP-TempPass-Identity header is missing or invalid.'],
  invalid_header_pfs_permission_access_not_present: [
    400,
    'none',
    'The partner framework status lacks the access status.',
  ],
  invalid_header_pfs_permission_access_not_determined: [
    400,
    'none',
    'The partner framework access status is not determined.',
  ],
  invalid_header_pfs_permission_access_not_granted: [400, 'none', 'The partner framework access is not granted.'],
  invalid_header_pfs_provider_id_not_determined: [400, 'none', 'The partner framework provider id matches no MVPD.'],
  invalid_header_pfs_provider_id_mismatch: [
    400,
    'none',
    'The partner framework provider id differs from the MVPD parameter.',
  ],
  invalid_header_pfs_provider_info_expired: [400, 'none', 'The partner framework provider information has expired.'],
  invalid_integration: [
    400,
    'none',
    'The integration between the service provider and the MVPD is missing or disabled.',
  ],
  invalid_authentication_session: [400, 'none', 'The authentication session is missing or invalid.'],
  preauthorization_denied_by_mvpd: [403, 'none', 'The MVPD denied the preauthorization.'],
  authorization_denied_by_mvpd: [403, 'none', 'The MVPD denied the authorization.'],
  authorization_denied_by_parental_controls: [403, 'none', 'The authorization was denied by parental controls.'],
  authorization_denied_by_degradation_rule: [403, 'none', 'A degradation rule denies the authorization.'],
  internal_server_error: [500, 'none', 'The request could not be completed because of an internal error.'],
  too_many_resources: [403, 'configuration', 'The request asks for more resources than the configured limit.'],
  invalid_configuration_user_metadata_certificate: [
    500,
    'configuration',
    'The user metadata certificate is missing or invalid.',
  ],
  invalid_configuration_temporary_access: [500, 'configuration', 'The temporary access configuration is invalid.'],
  invalid_configuration_platform: [500, 'configuration', 'The platform configuration is missing or invalid.'],
  invalid_configuration_platform_id: [500, 'configuration', 'The platform id configuration is missing or invalid.'],
  invalid_configuration_platform_trait: [
    500,
    'configuration',
    'The platform trait configuration is missing or invalid.',
  ],
  invalid_configuration_platform_category_trait: [
    500,
    'configuration',
    'The platform category trait is missing or invalid.',
  ],
  invalid_configuration_platform_services: [
    500,
    'configuration',
    'The platform services configuration is missing or invalid.',
  ],
  invalid_configuration_mvpd_platform: [500, 'configuration', 'The MVPD platform configuration is missing or invalid.'],
  invalid_configuration_mvpd_platform_boarding_status: [
    500,
    'configuration',
    'The MVPD platform boarding status is missing or invalid.',
  ],
  invalid_configuration_mvpd_platform_profile_exchange: [
    500,
    'configuration',
    'The MVPD platform profile exchange configuration is missing or invalid.',
  ],
  invalid_access_token_service_provider: [
    401,
    'application-registration',
    'The access token is not valid for this service provider.',
  ],
  invalid_access_token_client_application: [
    401,
    'application-registration',
    'The access token does not belong to a valid client application.',
  ],
  authenticated_profile_missing: [403, 'authentication', 'No authenticated profile was found for this request.'],
  authenticated_profile_expired: [403, 'authentication', 'The authenticated profile has expired.'],
  authenticated_profile_invalidated: [403, 'authentication', 'The authenticated profile was invalidated.'],
  temporary_access_duration_limit_exceeded: [403, 'authentication', 'The temporary access time is used up.'],
  temporary_access_resources_limit_exceeded: [403, 'authentication', 'The temporary access resources are used up.'],
  authorization_denied_by_hba_policies: [403, 'authentication', 'The device is no longer in the home.'],
  authorization_denied_by_session_invalidated: [403, 'authentication', 'The MVPD invalidated the session.'],
  identity_not_recognized_by_mvpd: [403, 'authentication', 'The MVPD does not recognize the user identity.'],
  network_received_error: [403, 'retry', 'The partner service answered with an error.'],
  network_connection_timeout: [403, 'retry', 'The connection to the partner service timed out.'],
  maximum_execution_time_exceeded: [403, 'retry', 'The request exceeded the maximum execution time.'],
} as const satisfies Record<string, Entry>;

export type PassErrorCode = keyof typeof PASS_ERRORS;

/** The enhanced error object, as sent top-level or as a decision item's `error`. */
export interface EnhancedError {
  action: ErrorAction;
  status: number;
  code: PassErrorCode;
  message: string;
  details?: string;
  trace?: string;
}

export class PassError extends Error {
  override name = 'PassError';
  readonly status: number;
  readonly action: ErrorAction;

  constructor(
    readonly code: PassErrorCode,
    readonly details?: string,
  ) {
    const [status, action, message] = PASS_ERRORS[code];
    super(message);
    this.status = status;
    this.action = action;
  }

  toBody(trace: string | undefined): EnhancedError {
    return {
      action: this.action,
      status: this.status,
      code: this.code,
      message: this.message,
      ...(this.details !== undefined && { details: this.details }),
      ...(trace !== undefined && { trace }),
    };
  }
}
