/**
 * The demo providers' HTML: the sign-in form, the sign-out confirmation, the signed-out page
 * and the error page. Plain server-rendered forms; every value from outside is escaped.
 */
import { escapeHtml, htmlDocument } from '../../../platform/http/html.js';

export interface Branding {
  displayName: string;
  logoUrl: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:48px 16px;color:#1b1f24}
main{max-width:340px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 3px #0003}
h1{font-size:1.25rem;margin:12px 0 16px}label{display:block;margin:12px 0 4px;font-size:.9rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:1rem;border:1px solid #8c959f;border-radius:4px}
button{margin-top:16px;width:100%;padding:10px;font-size:1rem;border:0;border-radius:4px;background:#1f6feb;color:#fff;cursor:pointer}
button.secondary{background:#eaeef2;color:#1b1f24}.error{color:#b3261e;margin:8px 0}.hint{color:#57606a;font-size:.85rem}`;

function page(title: string, branding: Branding, body: string): string {
  const logo = `<img src="${escapeHtml(branding.logoUrl)}" alt="${escapeHtml(branding.displayName)}" height="48">`;
  return htmlDocument(title, STYLE, `${logo}\n${body}`);
}

export interface LoginPage {
  branding: Branding;
  /** Where the form posts (the interaction's login URL). */
  action: string;
  /** Where "Cancel" posts (the interaction's abort URL). */
  abortAction: string;
  /** The user name typed before, shown again after a failed attempt. */
  user?: string;
  error?: string;
  /** Extra help under the form, e.g. the built-in demo users. */
  hint?: string;
}

export function loginPage(p: LoginPage): string {
  const name = escapeHtml(p.branding.displayName);
  return page(
    `Sign in to ${p.branding.displayName}`,
    p.branding,
    `<h1>Sign in to ${name}</h1>
${p.error ? `<p class="error" role="alert">${escapeHtml(p.error)}</p>` : ''}
<form method="post" action="${escapeHtml(p.action)}" autocomplete="off">
<label for="user">User name</label>
<input type="text" id="user" name="user" value="${escapeHtml(p.user ?? '')}" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${escapeHtml(p.abortAction)}">
<button type="submit" class="secondary">Cancel</button>
</form>
${p.hint ? `<p class="hint">${escapeHtml(p.hint)}</p>` : ''}`,
  );
}

/**
 * The sign-out confirmation around oidc-provider's own form (`form`: its action and xsrf secret).
 * With `autoSubmit` (the request named this session's user in a valid id_token_hint) the page
 * signs out at once; without script, or without a matching hint, the user confirms.
 */
export function logoutPage(branding: Branding, form: string, autoSubmit: boolean): string {
  return page(
    `Sign out of ${branding.displayName}`,
    branding,
    `<h1>Sign out of ${escapeHtml(branding.displayName)}?</h1>
${form}
<button type="submit" id="signout" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" class="secondary" form="op.logoutForm">Stay signed in</button>
${autoSubmit ? '<script>document.getElementById("signout").click()</script>' : ''}`,
  );
}

export function loggedOutPage(branding: Branding): string {
  return page(
    `Signed out of ${branding.displayName}`,
    branding,
    `<h1>You are signed out of ${escapeHtml(branding.displayName)}.</h1>`,
  );
}

export function errorPage(branding: Branding, error: string, description: string | undefined): string {
  return page(
    'Sign-in error',
    branding,
    `<h1>Something went wrong</h1>
<p class="error">${escapeHtml(error)}</p>
${description ? `<p>${escapeHtml(description)}</p>` : ''}`,
  );
}
