/** A small client of the admin API for tests: JSON in, status and JSON out. */

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
export type AdminCall = (method: string, pathname: string, body?: unknown) => Promise<{ status: number; body: any }>;

export function adminClient(url: string, adminToken: string): AdminCall {
  return async (method, pathname, body) => {
    const response = await fetch(`${url}/admin/v1${pathname}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
}
