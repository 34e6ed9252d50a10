/**
 * What the device client (device-client.ts) throws: a refusal from the domain server with the
 * protocol's code and name, the refusal that says this device is no member any more (after which
 * the client has deleted what it held of the domain), and a credential it must not accept.
 */

/** What a refusal carries besides its code, name and message. */
export interface RefusalDetails {
  /** DOM_REMOVAL_LIMITED: when the domain's removal limit allows the next removal (ISO time). */
  nextRemovalAt?: string;
  /** The answer's Retry-After, in seconds, when it had one. */
  retryAfterS?: number;
}

/**
 * A refusal from the server, with the protocol's error code and name. The message names both,
 * and the time of the next allowed removal when the answer gave one (DOM_REMOVAL_LIMITED).
 */
export class DomainServerError extends Error {
  override name = 'DomainServerError';
  readonly nextRemovalAt: string | undefined;
  readonly retryAfterS: number | undefined;
  constructor(
    readonly status: number,
    readonly code: number,
    readonly errorName: string,
    /** The server's own message, as it sent it. */
    readonly serverMessage: string,
    details: RefusalDetails = {},
  ) {
    const next = details.nextRemovalAt;
    const nextText = next !== undefined && !serverMessage.includes(next) ? ` (next removal allowed at ${next})` : '';
    super(`${errorName} (${code}): ${serverMessage}${nextText}`);
    this.nextRemovalAt = next;
    this.retryAfterS = details.retryAfterS;
  }
}

/**
 * DOM_NOT_MEMBER (504) about a domain: this machine was removed or evicted from it. Before this
 * is thrown the device has deleted the domain's credentials and every license bound to it, so a
 * removed device keeps nothing of the domain; the message says so. Thrown by join (with `dn`),
 * leave, members and remove. Joining again is a new join (without `dn`), needing a free slot.
 */
export class NoLongerMemberError extends DomainServerError {
  override name = 'NoLongerMemberError';
  constructor(
    refusal: DomainServerError,
    /** The domain server URL the request was about. */
    readonly serverUrl: string,
    /** The domain's name as this device held it; the server URL when it held no credentials of it. */
    readonly domain: string,
    /** Whether this device held credentials of the domain (and so deleted them). */
    readonly credentialsDeleted: boolean,
    /** How many licenses bound to the domain were deleted. */
    readonly licensesDeleted: number,
  ) {
    const licenses = `${licensesDeleted} license${licensesDeleted === 1 ? '' : 's'}`;
    const deleted = credentialsDeleted
      ? `its credentials and ${licenses} were deleted`
      : `it held no credentials of it; ${licenses} deleted`;
    super(refusal.status, refusal.code, refusal.errorName, refusal.serverMessage, refusal);
    this.message = `${refusal.message}; this device is no longer a member of ${domain}: ${deleted}`;
  }
}

/** A credential the server sent that this device must not accept. */
export class CredentialError extends Error {
  override name = 'CredentialError';
}
