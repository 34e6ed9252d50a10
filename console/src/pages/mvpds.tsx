/** MVPDs: page through them (protocol, logout endpoint, TTLs), and open one or a new one to edit. */
import { api, seg } from '../api';
import type { Mvpd } from '../entitlement-types';
import { Link } from '../router';
import { Layout } from '../ui/layout';
import { ListState, Pager, usePaged } from '../ui/paged';

export function MvpdsPage(props: { path: string }) {
  const paged = usePaged<Mvpd>((cursor) => api.get('/mvpds', { cursor }), 'all');
  return (
    <Layout path={props.path} title="MVPDs">
      <p>
        <Link to="/mvpds/new">New MVPD</Link>
      </p>
      <section aria-labelledby="mvpds">
        <h2 id="mvpds">All MVPDs</h2>
        <ListState paged={paged} empty="No MVPDs yet." />
        {paged.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Display name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Logout endpoint</th>
                <th scope="col">AuthN TTL</th>
                <th scope="col">AuthZ TTL</th>
              </tr>
            </thead>
            <tbody>
              {paged.items.map((mvpd) => (
                <tr key={mvpd.id}>
                  <td>
                    <Link to={`/mvpds/${seg(mvpd.id)}`}>{mvpd.id}</Link>
                  </td>
                  <td>{mvpd.displayName}</td>
                  <td>
                    {mvpd.protocol}
                    {mvpd.connection.kind === 'builtin' ? ' (built-in)' : ''}
                  </td>
                  <td>{mvpd.hasLogoutEndpoint ? 'yes' : 'no'}</td>
                  <td>{duration(mvpd.authnTtlS)}</td>
                  <td>{duration(mvpd.authzTtlS)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={paged} label="MVPDs" />
      </section>
    </Layout>
  );
}

/** Seconds in the largest whole unit: `30 d`, `5 min`, `90 s`. */
export function duration(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds > 0 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
