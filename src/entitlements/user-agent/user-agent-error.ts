/**
 * Why a user-agent step (authenticate, MVPD callback) cannot go on: transport-neutral; the
 * routes render it as an HTML page with its status (Adobe answers these steps with 400 or 500
 * `text/html`, never JSON, and never redirects on an error).
 */
export class UserAgentError extends Error {
  override name = 'UserAgentError';

  constructor(
    readonly status: 400 | 500,
    /** Short heading for the page. */
    readonly title: string,
    /** What happened and what the user can do, in plain words. */
    readonly explanation: string,
    /** Where "Try again" leads (a relative authenticate URL), when trying again can help. */
    readonly retryUrl?: string,
    options?: { cause?: unknown },
  ) {
    super(`${title}: ${explanation}`, options);
  }
}
