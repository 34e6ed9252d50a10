/**
 * The domain protocol's error codes (docs/domain-protocol.md §11). Numbers marked RI there
 * are Adobe's AdobeErrorData codes. Transport-neutral: the routes turn these into responses.
 */
export const DOMAIN_ERRORS = {
  REQ_MALFORMED: { code: 100, status: 400 },
  REQ_SIGNATURE_INVALID: { code: 101, status: 400 },
  REQ_REPLAYED: { code: 102, status: 409 },
  REQ_TIMESTAMP_OUT_OF_RANGE: { code: 103, status: 400 },
  /** Ours, not the RI's: a rate limit of limits.ts; the answer carries Retry-After. */
  REQ_RATE_LIMITED: { code: 104, status: 429 },
  REQ_UNSUPPORTED_VERSION: { code: 105, status: 400 },
  REQ_AUTH_TOKEN_INVALID_EXPIRED: { code: 110, status: 401 },
  REQ_MACHINE_TOKEN_INVALID_EXPIRED: { code: 111, status: 401 },
  DEREG_DENIED: { code: 401, status: 403 },
  DOM_REG_DENIED: { code: 501, status: 403 },
  DOM_LIMIT_REACHED: { code: 502, status: 403 },
  DOM_AUTHENTICATION_REQUIRED: { code: 503, status: 401 },
  /** Ours: the machine was removed or evicted; the device deletes this domain's credentials and licenses. */
  DOM_NOT_MEMBER: { code: 504, status: 403 },
  /** Ours: the domain's removal limit is used up; the answer names the next allowed time. */
  DOM_REMOVAL_LIMITED: { code: 505, status: 429 },
  /** Ours: the operator suspended the domain; joins and removals are refused, leaves work. */
  DOM_SUSPENDED: { code: 506, status: 403 },
} as const;

export type DomainErrorName = keyof typeof DOMAIN_ERRORS;

export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: number;
  readonly status: number;

  constructor(
    readonly errorName: DomainErrorName,
    message: string,
    /** Whole seconds a client should wait before trying again, when that is known. */
    readonly retryAfterS?: number,
    /** More members of the answer's `error` object (DOM_REMOVAL_LIMITED: `nextRemovalAt`). */
    readonly details?: { nextRemovalAt?: string },
  ) {
    super(message);
    this.code = DOMAIN_ERRORS[errorName].code;
    this.status = DOMAIN_ERRORS[errorName].status;
  }
}
