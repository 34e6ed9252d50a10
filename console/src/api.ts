/**
 * The console's client of the admin API (/admin/v1): the session cookie signs every call in, and
 * every change carries the session's CSRF token. A refused call throws ApiError with the API's
 * code, message and, for a bad field, the field's name; a lost session goes back to sign-in.
 */

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The body field at fault, dotted (`connection.issuer`), when the API named one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface Session {
  csrfToken: string;
  credential: 'admin-token' | 'password';
  expiresAt: string;
}

let session: Promise<Session> | undefined;

/** The signed-in session (fetched once; asked again after a failed fetch). */
export function currentSession(): Promise<Session> {
  session ??= call<Session>('GET', '/console/session').catch((error: unknown) => {
    session = undefined;
    throw error;
  });
  return session;
}

export const api = {
  get: <T>(path: string, query: Record<string, string | number | undefined> = {}) =>
    call<T>('GET', `/admin/v1${path}${queryString(query)}`),
  put: <T>(path: string, body: unknown) => change<T>('PUT', path, body),
  post: <T>(path: string, body?: unknown) => change<T>('POST', path, body),
  delete: <T = null>(path: string) => change<T>('DELETE', path),
};

/** A path segment, percent-encoded (identity domain names hold `:` and `%`). */
export const seg = (value: string) => encodeURIComponent(value);

async function change<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { csrfToken } = await currentSession();
  return call<T>(method, `/admin/v1${path}`, body, { 'x-csrf-token': csrfToken });
}

async function call<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  if (response.status === 401) {
    window.location.assign('/console/sign-in');
    throw new ApiError(401, 'unauthorized', 'Signed out.');
  }
  const text = await response.text();
  const json = text === '' ? null : safeParse(text);
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `${response.status} ${response.statusText}`,
      error?.field,
    );
  }
  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
