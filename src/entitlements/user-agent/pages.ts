/**
 * The pages Domus itself shows in the user agent during authentication: the MVPD picker, the
 * "you are signed in" page (when the session has no redirect URL) and the error page. Plain,
 * accessible, server-rendered HTML without scripts; every value from outside is escaped.
 */
import { escapeHtml, htmlDocument } from '../../platform/http/html.js';
import type { DeviceDescription } from '../sessions/device-description.js';
import type { PickerMvpd } from './login-flow.js';

/**
 * Headers of every page: no caching (they hold session codes), no framing, no scripts, images
 * from anywhere (MVPD logos), and no Referer (the code is in the URL).
 */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:48px 16px;color:#1b1f24}
main{max-width:420px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 3px #0003}
h1{font-size:1.25rem;margin:0 0 16px}ul{list-style:none;padding:0;margin:0}li{margin:8px 0}
a.mvpd{display:flex;align-items:center;gap:12px;padding:10px;border:1px solid #d0d7de;border-radius:6px;color:inherit;text-decoration:none}
a.mvpd:hover,a.mvpd:focus{border-color:#1f6feb;outline:2px solid #1f6feb}a.mvpd img{width:96px;height:auto}
.hint{color:#57606a;font-size:.9rem}.button{display:inline-block;margin-top:12px;padding:8px 16px;border-radius:4px;background:#1f6feb;color:#fff;text-decoration:none}`;

function page(title: string, body: string): string {
  return htmlDocument(title, STYLE, body);
}

export interface PickerPage {
  serviceProviderName: string;
  mvpds: readonly PickerMvpd[];
  /** Where choosing an MVPD leads. */
  choose(mvpdId: string): string;
  /** The device being signed in (shown so a second-screen user can check it is theirs). */
  device: DeviceDescription;
}

export function pickerPage(picker: PickerPage): string {
  const items = picker.mvpds.map(
    (mvpd) =>
      `<li><a class="mvpd" href="${escapeHtml(picker.choose(mvpd.id))}">` +
      `<img src="${escapeHtml(mvpd.logoUrl)}" alt=""><span>${escapeHtml(mvpd.displayName)}</span></a></li>`,
  );
  const list =
    items.length > 0
      ? `<ul aria-labelledby="heading">\n${items.join('\n')}\n</ul>`
      : '<p>No TV provider is available for this channel at the moment.</p>';
  const device = deviceLabel(picker.device);
  return page(
    `Choose your TV provider – ${picker.serviceProviderName}`,
    `<h1 id="heading">Choose your TV provider</h1>
<p>Sign in to watch ${escapeHtml(picker.serviceProviderName)}${device ? ` on ${escapeHtml(device)}` : ''}.</p>
${list}`,
  );
}

export function signedInPage(serviceProviderName: string, mvpdName: string): string {
  return page(
    'You are signed in',
    `<h1>You are signed in</h1>
<p>You signed in to ${escapeHtml(serviceProviderName)} with ${escapeHtml(mvpdName)}.</p>
<p>Return to your app: it will continue by itself. You can close this window.</p>`,
  );
}

export function errorPage(error: { title: string; explanation: string; retryUrl?: string }, trace: string): string {
  const retry = error.retryUrl ? `<p><a class="button" href="${escapeHtml(error.retryUrl)}">Try again</a></p>\n` : '';
  return page(
    error.title,
    `<h1>${escapeHtml(error.title)}</h1>
<p>${escapeHtml(error.explanation)}</p>
${retry}<p class="hint">Reference: ${escapeHtml(trace)}</p>`,
  );
}

/** "iPhone (iOS 17.4)", or undefined when the device said too little. */
function deviceLabel(device: DeviceDescription): string | undefined {
  if (!device.model) return undefined;
  const os = device.operatingSystem;
  const osText = [os?.name, os?.version && versionText(os.version)].filter(Boolean).join(' ');
  return osText ? `${device.model} (${osText})` : device.model;
}

function versionText(version: { major?: number; minor?: number; patch?: number; profile?: string }): string {
  const numbers = [version.major, version.minor, version.patch].filter((n) => n !== undefined).join('.');
  return [numbers, version.profile].filter(Boolean).join('-');
}
