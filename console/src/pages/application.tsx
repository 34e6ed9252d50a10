/**
 * One registered application: edit it, read its current software statement (to copy), issue a
 * new one (the old one stops working, with every client registered with it and their access
 * tokens), or revoke the application by deleting it, in two steps.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api';
import type { Application, Statement } from '../entitlement-types';
import { Link, navigate } from '../router';
import { ConfirmButton } from '../ui/confirm';
import { FormError, useSubmit } from '../ui/form';
import { Layout } from '../ui/layout';
import { LoadState, useLoad } from '../ui/load';
import { TextArea } from '../ui/text-area';
import { APPLICATION_FIELDS, ApplicationFields, applicationBody, applicationDraft } from './application-fields';

export function ApplicationPage(props: { path: string; id: string }) {
  const base = `/applications/${seg(props.id)}`;
  const application = useLoad<Application>(() => api.get(base), base);
  const statement = useLoad<Statement>(() => api.get(`${base}/software-statement`), base);
  return (
    <Layout path={props.path} title={`Application ${application.data?.name ?? props.id}`}>
      <p>
        <Link to="/applications">All applications</Link>
      </p>
      <LoadState loaded={application} />
      {application.data && (
        <>
          <dl class="summary">
            <dt>Id</dt>
            <dd>
              <code>{props.id}</code>
            </dd>
            <dt>Scopes</dt>
            <dd>{application.data.scopes.join(' ')}</dd>
          </dl>
          <EditApplication base={base} application={application.data} onSaved={application.reload} />
          <section aria-labelledby="statement">
            <h2 id="statement">Software statement</h2>
            <LoadState loaded={statement} />
            {statement.data && (
              <TextArea
                name="statement"
                label="Current software statement"
                value={statement.data.software_statement}
                readOnly
                rows={6}
                hint="Hand it to the app's developers; it does not expire."
              />
            )}
            <ConfirmButton
              label="Issue a new statement"
              what={props.id}
              confirm="Confirm new statement"
              warning="The current statement stops working, with every client registered with it and their access tokens: those apps must register again, and their viewers sign in again."
              action={async () => {
                await api.post(`${base}/software-statement`);
                statement.reload();
              }}
            />
          </section>
          <section aria-labelledby="revoke">
            <h2 id="revoke">Revoke</h2>
            <p>Deleting the application deletes its client registrations: its statement and tokens stop working.</p>
            <ConfirmButton
              label="Delete application"
              what={props.id}
              confirm="Confirm deletion"
              action={async () => {
                await api.delete(base);
                navigate('/applications');
              }}
            />
          </section>
        </>
      )}
    </Layout>
  );
}

function EditApplication(props: { base: string; application: Application; onSaved(): void }) {
  const [draft, setDraft] = useState(() => applicationDraft(props.application));
  const [saved, setSaved] = useState(false);
  useEffect(() => setSaved(false), [draft]);
  const submission = useSubmit(async () => {
    await api.put(props.base, applicationBody(draft));
    setSaved(true);
    props.onSaved();
  });
  return (
    <section aria-labelledby="edit-application">
      <h2 id="edit-application">Settings</h2>
      <form onSubmit={submission.onSubmit} class="grid">
        <ApplicationFields draft={draft} onDraft={setDraft} submission={submission} />
        <div class="form-end">
          <button type="submit" disabled={submission.busy}>
            Save application
          </button>
          {saved && (
            <span class="done" role="status">
              Saved.
            </span>
          )}
        </div>
        <FormError submission={submission} fields={APPLICATION_FIELDS} />
      </form>
    </section>
  );
}
