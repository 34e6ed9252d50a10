/**
 * A scripted browser for HTTP-level tests: keeps cookies (by name and path), follows redirects
 * by hand, and posts forms. `route` sends a public URL to the server that should answer it, so
 * one user agent can talk to several processes behind one public root.
 */

export interface Page {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
  headers: Headers;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export class UserAgent {
  readonly #cookies = new Map<string, Cookie>();
  /** Every Set-Cookie header received, for tests that check cookie attributes. */
  readonly setCookies: string[] = [];

  constructor(public route: (url: URL) => URL = (url) => url) {}

  async get(url: string): Promise<Page> {
    return this.#send(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Page> {
    return this.#send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Follows redirects from `page` until one leads to a URL `stop` accepts (answered: that URL) or a non-redirect. */
  async follow(page: Page, stop: (url: string) => boolean = () => false, maxHops = 10): Promise<Page | string> {
    let current = page;
    for (let hop = 0; hop < maxHops; hop++) {
      if (current.status < 300 || current.status > 399 || !current.location) return current;
      const next = new URL(current.location, current.url).href;
      if (stop(next)) return next;
      current = await this.get(next);
    }
    throw new Error('too many redirects');
  }

  cookieNames(): string[] {
    return [...this.#cookies.values()].map((c) => c.name);
  }

  async #send(url: string, init: RequestInit): Promise<Page> {
    const target = this.route(new URL(url));
    const cookie = [...this.#cookies.values()]
      .filter((c) => pathMatches(c.path, target.pathname))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const header of response.headers.getSetCookie()) this.#store(header, target.pathname);
    return {
      url,
      status: response.status,
      location: response.headers.get('location') ?? undefined,
      body: await response.text(),
      headers: response.headers,
    };
  }

  #store(header: string, requestPath: string): void {
    this.setCookies.push(header);
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = requestPath.slice(0, requestPath.lastIndexOf('/')) || '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=');
      if (/^path$/i.test(key)) path = val;
      if (/^max-age$/i.test(key) && Number(val) <= 0) expired = true;
      if (/^expires$/i.test(key) && Date.parse(val) < Date.now()) expired = true;
    }
    const key = `${name}|${path}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, { name, value, path });
  }
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** The forms of an HTML page: action, method and every named input's value (entities decoded). */
export function forms(html: string): { id?: string; action: string; method: string; fields: Record<string, string> }[] {
  const found = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = match[1] ?? '';
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const name = attribute(input[1] ?? '', 'name');
      if (name !== undefined) fields[name] = attribute(input[1] ?? '', 'value') ?? '';
    }
    found.push({
      id: attribute(attributes, 'id'),
      action: attribute(attributes, 'action') ?? '',
      method: (attribute(attributes, 'method') ?? 'get').toLowerCase(),
      fields,
    });
  }
  return found;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCharCode(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
