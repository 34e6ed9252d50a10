/**
 * The operator console (docs/console.md): a single page on the admin API, signed in by the
 * session cookie the sign-in page set. Each page is one file under pages/.
 */
import { render } from 'preact';
import { ApplicationPage } from './pages/application';
import { ApplicationsPage } from './pages/applications';
import { DashboardPage } from './pages/dashboard';
import { DomainPage } from './pages/domain';
import { DomainsPage } from './pages/domains';
import { HouseholdPage } from './pages/household';
import { IntegrationsPage } from './pages/integrations';
import { MvpdPage } from './pages/mvpd';
import { MvpdsPage } from './pages/mvpds';
import { ServiceProvidersPage } from './pages/service-providers';
import { Link, useLocation } from './router';
import { Layout } from './ui/layout';

function App() {
  const { path, query } = useLocation();
  const domain = /^\/domains\/(anonymous|identity)\/([^/]+)$/.exec(path);
  if (domain)
    return <DomainPage path={path} mode={domain[1] as string} name={decodeURIComponent(domain[2] as string)} />;
  if (path === '/domains') return <DomainsPage path={path} query={query} />;
  if (path === '/') return <DashboardPage path={path} />;
  if (path === '/household') return <HouseholdPage path={path} query={query} />;
  if (path === '/service-providers') return <ServiceProvidersPage path={path} />;
  if (path === '/mvpds') return <MvpdsPage path={path} />;
  if (path === '/mvpds/new') return <MvpdPage key="new" path={path} id={null} />;
  const mvpd = /^\/mvpds\/([^/]+)$/.exec(path)?.[1];
  if (mvpd) return <MvpdPage key={mvpd} path={path} id={decodeURIComponent(mvpd)} />;
  if (path === '/integrations') return <IntegrationsPage path={path} query={query} />;
  if (path === '/applications') return <ApplicationsPage path={path} />;
  const application = /^\/applications\/([^/]+)$/.exec(path)?.[1];
  if (application) return <ApplicationPage key={application} path={path} id={decodeURIComponent(application)} />;
  return (
    <Layout path={path} title="Not found">
      <p>
        No console page is at this address. <Link to="/">Go to the dashboard.</Link>
      </p>
    </Layout>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
