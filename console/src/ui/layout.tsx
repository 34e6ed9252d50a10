/** The frame of every page: the console's name, its sections, the sign-out form, the page. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession } from '../api';
import { Link } from '../router';

export const SECTIONS = [
  { path: '/', label: 'Dashboard' },
  { path: '/domains', label: 'Domains' },
  { path: '/household', label: 'Households' },
  { path: '/service-providers', label: 'Service providers' },
  { path: '/mvpds', label: 'MVPDs' },
  { path: '/integrations', label: 'Integrations' },
  { path: '/applications', label: 'Applications' },
];

export function Layout(props: { path: string; title: string; children: ComponentChildren }) {
  const [csrf, setCsrf] = useState('');
  useEffect(() => {
    document.title = `${props.title} — Domus console`;
  }, [props.title]);
  useEffect(() => {
    currentSession().then((session) => setCsrf(session.csrfToken));
  }, []);
  const section = SECTIONS.filter((s) => (s.path === '/' ? props.path === '/' : props.path.startsWith(s.path))).at(-1);
  return (
    <>
      <header class="top">
        <Link to="/" class="brand">
          Domus console
        </Link>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.path}>
                <Link to={s.path} current={s === section}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <form method="post" action="/console/sign-out" class="sign-out">
          <input type="hidden" name="csrf" value={csrf} />
          <button type="submit" disabled={csrf === ''}>
            Sign out
          </button>
        </form>
      </header>
      <main>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </>
  );
}

/** A time from the API (ISO text), shown in the operator's locale. */
export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span class="muted">—</span>;
  return <time dateTime={props.iso}>{new Date(props.iso).toLocaleString()}</time>;
}
