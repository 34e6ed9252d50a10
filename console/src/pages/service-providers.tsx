/**
 * Service providers: page through them, create one (id and display name), change a display
 * name in place, delete one in two steps (its integrations go with it).
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import type { ServiceProvider } from '../entitlement-types';
import { ConfirmButton } from '../ui/confirm';
import { Field, FormError, useSubmit } from '../ui/form';
import { Layout } from '../ui/layout';
import { mustBeNew } from '../ui/must-be-new';
import { ListState, Pager, usePaged } from '../ui/paged';

export function ServiceProvidersPage(props: { path: string }) {
  const paged = usePaged<ServiceProvider>((cursor) => api.get('/service-providers', { cursor }), 'all');
  return (
    <Layout path={props.path} title="Service providers">
      <section aria-labelledby="service-providers">
        <h2 id="service-providers">All service providers</h2>
        <ListState paged={paged} empty="No service providers yet." />
        {paged.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Display name</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {paged.items.map((sp) => (
                <Row key={sp.id} sp={sp} onChanged={paged.reload} />
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={paged} label="Service providers" />
      </section>
      <CreateServiceProvider onCreated={paged.reload} />
    </Layout>
  );
}

function Row(props: { sp: ServiceProvider; onChanged(): void }) {
  const { sp } = props;
  const [editing, setEditing] = useState(false);
  const [displayName, setDisplayName] = useState(sp.displayName);
  const submission = useSubmit(async () => {
    await api.put(`/service-providers/${seg(sp.id)}`, { displayName });
    setEditing(false);
    props.onChanged();
  });
  return (
    <tr>
      <td>
        <code>{sp.id}</code>
      </td>
      <td>
        {editing ? (
          <form class="inline" onSubmit={submission.onSubmit} aria-label={`Rename ${sp.id}`}>
            <Field
              name={`displayName-${sp.id}`}
              label={`Display name of ${sp.id}`}
              value={displayName}
              onValue={setDisplayName}
              required
              maxLength={200}
              error={submission.fieldError('displayName')}
            />
            <button type="submit" disabled={submission.busy}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <FormError submission={submission} fields={['displayName']} />
          </form>
        ) : (
          sp.displayName
        )}
      </td>
      <td>
        <div class="actions">
          {!editing && (
            <button
              type="button"
              onClick={() => {
                setDisplayName(sp.displayName);
                setEditing(true);
              }}
              aria-label={`Edit ${sp.id}`}
            >
              Edit
            </button>
          )}
          <ConfirmButton
            label="Delete"
            what={sp.id}
            confirm="Confirm deletion"
            warning="Its integrations go with it."
            action={async () => {
              await api.delete(`/service-providers/${seg(sp.id)}`);
              props.onChanged();
            }}
          />
        </div>
      </td>
    </tr>
  );
}

function CreateServiceProvider(props: { onCreated(): void }) {
  const [id, setId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [created, setCreated] = useState('');
  const submission = useSubmit(async () => {
    setCreated('');
    await mustBeNew(`/service-providers/${seg(id)}`, 'id', 'A service provider with this id exists already.');
    await api.put(`/service-providers/${seg(id)}`, { displayName });
    setCreated(id);
    setId('');
    setDisplayName('');
    props.onCreated();
  });
  return (
    <section aria-labelledby="create-service-provider">
      <h2 id="create-service-provider">Create a service provider</h2>
      <form onSubmit={submission.onSubmit} class="inline">
        <Field
          name="id"
          label="Id"
          value={id}
          onValue={setId}
          required
          maxLength={64}
          hint="Letters, digits, “.”, “_” and “-”."
          error={submission.fieldError('id')}
        />
        <Field
          name="displayName"
          label="Display name"
          value={displayName}
          onValue={setDisplayName}
          required
          maxLength={200}
          error={submission.fieldError('displayName')}
        />
        <button type="submit" disabled={submission.busy}>
          Create
        </button>
        <FormError submission={submission} fields={['id', 'displayName']} />
      </form>
      {created && (
        <p class="done" role="status">
          Service provider {created} created.
        </p>
      )}
    </section>
  );
}
