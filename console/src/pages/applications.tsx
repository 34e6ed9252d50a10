/**
 * Registered applications: page through them, and register one (name, service providers,
 * redirect domains, scopes), then hand over its software statement, shown at once.
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import type { Application, Statement } from '../entitlement-types';
import { Link } from '../router';
import { FormError, useSubmit } from '../ui/form';
import { Layout } from '../ui/layout';
import { ListState, Pager, usePaged } from '../ui/paged';
import { TextArea } from '../ui/text-area';
import { APPLICATION_FIELDS, ApplicationFields, applicationBody, EMPTY_APPLICATION } from './application-fields';

export function ApplicationsPage(props: { path: string }) {
  const paged = usePaged<Application>((cursor) => api.get('/applications', { cursor }), 'all');
  return (
    <Layout path={props.path} title="Applications">
      <section aria-labelledby="applications">
        <h2 id="applications">All applications</h2>
        <ListState paged={paged} empty="No applications yet." />
        {paged.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Service providers</th>
                <th scope="col">Redirect domains</th>
              </tr>
            </thead>
            <tbody>
              {paged.items.map((application) => (
                <tr key={application.id}>
                  <td>
                    <Link to={`/applications/${seg(application.id)}`}>{application.name}</Link>
                  </td>
                  <td>
                    <code>{application.id}</code>
                  </td>
                  <td>{application.serviceProviders.join(', ')}</td>
                  <td>{application.redirectDomains.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={paged} label="Applications" />
      </section>
      <RegisterApplication onCreated={paged.reload} />
    </Layout>
  );
}

function RegisterApplication(props: { onCreated(): void }) {
  const [draft, setDraft] = useState(EMPTY_APPLICATION);
  const [created, setCreated] = useState<{ application: Application; statement: string } | null>(null);
  const submission = useSubmit(async () => {
    setCreated(null);
    const application = await api.post<Application>('/applications', applicationBody(draft));
    const { software_statement } = await api.get<Statement>(`/applications/${seg(application.id)}/software-statement`);
    setCreated({ application, statement: software_statement });
    setDraft(EMPTY_APPLICATION);
    props.onCreated();
  });
  return (
    <section aria-labelledby="register-application">
      <h2 id="register-application">Register an application</h2>
      <form onSubmit={submission.onSubmit} class="grid">
        <ApplicationFields draft={draft} onDraft={setDraft} submission={submission} />
        <div class="form-end">
          <button type="submit" disabled={submission.busy}>
            Register
          </button>
        </div>
        <FormError submission={submission} fields={APPLICATION_FIELDS} />
      </form>
      {created && (
        <div role="status">
          <p class="done">
            Registered <Link to={`/applications/${seg(created.application.id)}`}>{created.application.name}</Link> (
            <code>{created.application.id}</code>). Hand its software statement to its developers:
          </p>
          <TextArea name="new-statement" label="Software statement" value={created.statement} readOnly rows={6} />
        </div>
      )}
    </section>
  );
}
