/**
 * Integrations: which MVPDs each service provider offers. Page through them (all, or one service
 * provider's), create one by picking the service provider and the MVPD, switch one on or off,
 * delete one in two steps. Only an active integration's MVPD is in the provider's configuration.
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import type { Integration, Mvpd, ServiceProvider } from '../entitlement-types';
import { Link, navigate } from '../router';
import { allItems } from '../ui/all-items';
import { ConfirmButton } from '../ui/confirm';
import { Check, FormError, Select, useSubmit } from '../ui/form';
import { Layout } from '../ui/layout';
import { LoadState, useLoad } from '../ui/load';
import { mustBeNew } from '../ui/must-be-new';
import { ListState, Pager, usePaged } from '../ui/paged';

interface Choices {
  serviceProviders: ServiceProvider[];
  mvpds: Mvpd[];
}

export function IntegrationsPage(props: { path: string; query: URLSearchParams }) {
  const serviceProvider = props.query.get('serviceProvider') ?? '';
  const paged = usePaged<Integration>(
    (cursor) => api.get('/integrations', { serviceProvider: serviceProvider || undefined, cursor }),
    serviceProvider,
  );
  const choices = useLoad<Choices>(
    async () => ({
      serviceProviders: await allItems<ServiceProvider>('/service-providers'),
      mvpds: await allItems<Mvpd>('/mvpds'),
    }),
    'choices',
  );
  return (
    <Layout path={props.path} title="Integrations">
      <LoadState loaded={choices} />
      {choices.data && <Filter serviceProvider={serviceProvider} choices={choices.data} />}
      <section aria-labelledby="integrations">
        <h2 id="integrations">{serviceProvider ? `Integrations of ${serviceProvider}` : 'All integrations'}</h2>
        <ListState paged={paged} empty="No integrations." />
        {paged.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Service provider</th>
                <th scope="col">MVPD</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {paged.items.map((integration) => (
                <Row
                  key={`${integration.serviceProviderId}/${integration.mvpdId}`}
                  integration={integration}
                  onChanged={paged.reload}
                />
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={paged} label="Integrations" />
      </section>
      {choices.data && <CreateIntegration choices={choices.data} onCreated={paged.reload} />}
    </Layout>
  );
}

function Filter(props: { serviceProvider: string; choices: Choices }) {
  const [serviceProvider, setServiceProvider] = useState(props.serviceProvider);
  return (
    <form
      class="search"
      aria-label="Filter integrations"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(serviceProvider ? `/integrations?serviceProvider=${seg(serviceProvider)}` : '/integrations');
      }}
    >
      <Select
        name="filter-serviceProvider"
        label="Filter by service provider"
        value={serviceProvider}
        options={[{ value: '', label: 'All service providers' }, ...options(props.choices.serviceProviders)]}
        onValue={setServiceProvider}
      />
      <button type="submit">Filter</button>
    </form>
  );
}

const options = (items: { id: string; displayName: string }[]) =>
  items.map((item) => ({ value: item.id, label: `${item.displayName} (${item.id})` }));

function Row(props: { integration: Integration; onChanged(): void }) {
  const { serviceProviderId: sp, mvpdId: mvpd, active } = props.integration;
  const path = `/integrations/${seg(sp)}/${seg(mvpd)}`;
  const toggle = useSubmit(async () => {
    await api.put(path, { active: !active });
    props.onChanged();
  });
  return (
    <tr>
      <td>
        <code>{sp}</code>
      </td>
      <td>
        <Link to={`/mvpds/${seg(mvpd)}`}>{mvpd}</Link>
      </td>
      <td data-testid={`state-${sp}-${mvpd}`}>{active ? 'active' : 'inactive'}</td>
      <td>
        <div class="actions">
          <button
            type="button"
            onClick={toggle.run}
            disabled={toggle.busy}
            aria-label={`${active ? 'Deactivate' : 'Activate'} ${sp} with ${mvpd}`}
          >
            {active ? 'Deactivate' : 'Activate'}
          </button>
          <ConfirmButton
            label="Delete"
            what={`${sp} with ${mvpd}`}
            confirm="Confirm deletion"
            action={async () => {
              await api.delete(path);
              props.onChanged();
            }}
          />
          {toggle.error && (
            <span class="error" role="alert">
              {toggle.error.message}
            </span>
          )}
        </div>
      </td>
    </tr>
  );
}

function CreateIntegration(props: { choices: Choices; onCreated(): void }) {
  const { serviceProviders, mvpds } = props.choices;
  const [sp, setSp] = useState(serviceProviders[0]?.id ?? '');
  const [mvpd, setMvpd] = useState(mvpds[0]?.id ?? '');
  const [active, setActive] = useState(true);
  const [done, setDone] = useState('');
  const submission = useSubmit(async () => {
    setDone('');
    const path = `/integrations/${seg(sp)}/${seg(mvpd)}`;
    await mustBeNew(path, 'mvpd', `${sp} has an integration with ${mvpd} already: switch it in the list.`);
    await api.put(path, { active });
    setDone(`${sp} offers ${mvpd}${active ? '' : ' (inactive)'}.`);
    props.onCreated();
  });
  if (serviceProviders.length === 0 || mvpds.length === 0) {
    return (
      <section aria-labelledby="create-integration">
        <h2 id="create-integration">Create an integration</h2>
        <p class="muted">
          An integration needs a <Link to="/service-providers">service provider</Link> and an{' '}
          <Link to="/mvpds">MVPD</Link>.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="create-integration">
      <h2 id="create-integration">Create an integration</h2>
      <form onSubmit={submission.onSubmit} class="inline">
        <Select
          name="serviceProvider"
          label="Service provider"
          value={sp}
          options={options(serviceProviders)}
          onValue={setSp}
        />
        <Select
          name="mvpd"
          label="MVPD"
          value={mvpd}
          options={options(mvpds)}
          onValue={setMvpd}
          error={submission.fieldError('mvpd')}
        />
        <Check
          name="active"
          label="Active"
          checked={active}
          onChecked={setActive}
          error={submission.fieldError('active')}
        />
        <button type="submit" disabled={submission.busy}>
          Create
        </button>
        <FormError submission={submission} fields={['active', 'mvpd']} />
      </form>
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}
    </section>
  );
}
