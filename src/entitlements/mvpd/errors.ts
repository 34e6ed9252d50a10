/**
 * What can go wrong talking to an MVPD, typed so the API layer maps each failure to an Adobe
 * enhanced error code without looking at messages. Transport-neutral: no HTTP framework here.
 */

/** Why an MVPD round trip failed. */
export type MvpdFailure =
  /** No answer in time (connect, discovery, token, user info or keys). */
  | 'timeout'
  /** The connection could not be made (refused, reset, DNS). */
  | 'unreachable'
  /** The MVPD answered with an HTTP error status. */
  | 'http_status'
  /** The MVPD answered with an OAuth error (e.g. `invalid_grant` for a used or wrong code). */
  | 'oauth_error'
  /** The answer was not what the protocol asks for (bad JSON, missing fields, wrong issuer). */
  | 'invalid_response'
  /** The ID token failed its checks (signature, iss, aud, exp, nonce). */
  | 'invalid_id_token'
  /** A SAML message failed its checks (signature, issuer, audience, destination, InResponseTo, times). */
  | 'invalid_saml_message'
  /** A correctly signed SAML answer whose status is not Success (the IdP refused, e.g. AuthnFailed). */
  | 'saml_status';

/** The Adobe codes these failures map to (docs/entitlement-api.md, "Errors"). */
export type MvpdPassCode = 'network_received_error' | 'network_connection_timeout';

export class MvpdError extends Error {
  override name = 'MvpdError';
  /** The enhanced error code the API answers with. */
  readonly passCode: MvpdPassCode;

  constructor(
    readonly failure: MvpdFailure,
    message: string,
    /** The MVPD's OAuth `error` code, or the SAML status code URN, when it sent one. */
    readonly oauthError?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.passCode =
      failure === 'timeout' || failure === 'unreachable' ? 'network_connection_timeout' : 'network_received_error';
  }
}
