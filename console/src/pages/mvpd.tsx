/**
 * One MVPD, new (/mvpds/new) or existing (/mvpds/:id): every field of the admin API's MVPD
 * input, the connection's by its kind (OpenID Connect, SAML 2.0, or the built-in demo provider).
 * The client secret is never shown: the API does not answer it, and an update that leaves it
 * empty keeps the stored one. Delete in two steps.
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import type { Mvpd } from '../entitlement-types';
import { Link, navigate } from '../router';
import { ConfirmButton } from '../ui/confirm';
import { Check, Field, FormError, Select, useSubmit } from '../ui/form';
import { Layout } from '../ui/layout';
import { LoadState, useLoad } from '../ui/load';
import { mustBeNew } from '../ui/must-be-new';
import { OidcFields, SamlFields } from './mvpd-connection';
import { bodyOf, type Draft, draftOf, EMPTY, KINDS, type Kind, PROTOCOLS } from './mvpd-draft';

export function MvpdPage(props: { path: string; id: string | null }) {
  const { id } = props;
  const mvpd = useLoad<Mvpd | null>(
    () => (id === null ? Promise.resolve(null) : api.get(`/mvpds/${seg(id)}`)),
    id ?? '',
  );
  return (
    <Layout path={props.path} title={id === null ? 'New MVPD' : `MVPD ${id}`}>
      <p>
        <Link to="/mvpds">All MVPDs</Link>
      </p>
      {id === null ? (
        <MvpdForm key="new" draft={EMPTY} isNew />
      ) : (
        <>
          <LoadState loaded={mvpd} />
          {mvpd.data && (
            <>
              <MvpdForm key={id} draft={draftOf(mvpd.data)} isNew={false} onSaved={mvpd.reload} />
              <section aria-labelledby="delete-mvpd">
                <h2 id="delete-mvpd">Delete</h2>
                <ConfirmButton
                  label="Delete MVPD"
                  what={id}
                  confirm="Confirm deletion"
                  warning="Its integrations go with it, and its viewers can no longer sign in with it."
                  action={async () => {
                    await api.delete(`/mvpds/${seg(id)}`);
                    navigate('/mvpds');
                  }}
                />
              </section>
            </>
          )}
        </>
      )}
    </Layout>
  );
}

function MvpdForm(props: { draft: Draft; isNew: boolean; onSaved?(): void }) {
  const [draft, setDraft] = useState(props.draft);
  // Saved while the form still holds what was saved.
  const [savedAs, setSavedAs] = useState<Draft | null>(null);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((current) => ({ ...current, [key]: value }));
  const submission = useSubmit(async () => {
    const path = `/mvpds/${seg(draft.id)}`;
    if (props.isNew) await mustBeNew(path, 'id', 'An MVPD with this id exists already.');
    await api.put(path, bodyOf(draft));
    if (props.isNew) {
      navigate(path);
      return;
    }
    const next = { ...draft, clientSecret: '' };
    setDraft(next);
    setSavedAs(next);
    props.onSaved?.();
  });
  const field = (name: string) => submission.fieldError(name);
  const fields = [
    'id',
    'displayName',
    'logoUrl',
    'protocol',
    'connection',
    'hasLogoutEndpoint',
    'authnTtlS',
    'authzTtlS',
    'entitlementClaim',
    'authNamespace',
  ];
  return (
    <form onSubmit={submission.onSubmit} aria-label="MVPD">
      <section aria-labelledby="mvpd-identity">
        <h2 id="mvpd-identity">MVPD</h2>
        <div class="fields">
          {props.isNew && (
            <Field
              name="id"
              label="Id"
              value={draft.id}
              onValue={set('id')}
              required
              maxLength={64}
              hint="Letters, digits, “.”, “_” and “-”."
              error={field('id')}
            />
          )}
          <Field
            name="displayName"
            label="Display name"
            value={draft.displayName}
            onValue={set('displayName')}
            error={field('displayName')}
          />
          <Field
            name="logoUrl"
            label="Logo URL"
            value={draft.logoUrl}
            onValue={set('logoUrl')}
            inputMode="url"
            hint="An http(s) or data:image/ URL."
            error={field('logoUrl')}
          />
          <Field
            name="entitlementClaim"
            label="Entitlement claim"
            value={draft.entitlementClaim}
            onValue={set('entitlementClaim')}
            hint="The user-info claim (OIDC) or assertion attribute (SAML) that lists the entitled resources."
            error={field('entitlementClaim')}
          />
          <Field
            name="authNamespace"
            label="Auth namespace"
            value={draft.authNamespace}
            onValue={set('authNamespace')}
            hint="Of household domain tokens."
            error={field('authNamespace')}
          />
          <Field
            name="authnTtlS"
            label="AuthN TTL (seconds)"
            value={draft.authnTtlS}
            onValue={set('authnTtlS')}
            inputMode="numeric"
            hint="Profile lifetime: 60 to 34560000."
            error={field('authnTtlS')}
          />
          <Field
            name="authzTtlS"
            label="AuthZ TTL (seconds)"
            value={draft.authzTtlS}
            onValue={set('authzTtlS')}
            inputMode="numeric"
            hint="0 to 86400."
            error={field('authzTtlS')}
          />
          <Check
            name="hasLogoutEndpoint"
            label="Has a logout endpoint"
            checked={draft.hasLogoutEndpoint}
            onChecked={set('hasLogoutEndpoint')}
            error={field('hasLogoutEndpoint')}
          />
        </div>
      </section>
      <section aria-labelledby="mvpd-connection">
        <h2 id="mvpd-connection">Connection</h2>
        <div class="fields">
          <Select
            name="protocol"
            label="Protocol"
            value={draft.protocol}
            options={PROTOCOLS}
            onValue={(value) =>
              setDraft((current) => ({
                ...current,
                protocol: value as Draft['protocol'],
                kind: value === 'saml' ? 'saml' : current.kind === 'saml' ? 'oidc' : current.kind,
              }))
            }
            error={field('protocol')}
          />
          <Select
            name="connection.kind"
            label="Connection"
            value={draft.kind}
            options={KINDS}
            onValue={(value) => set('kind')(value as Kind)}
            error={field('connection.kind')}
          />
        </div>
        {draft.kind === 'oidc' && <OidcFields draft={draft} set={set} field={field} isNew={props.isNew} />}
        {draft.kind === 'saml' && <SamlFields draft={draft} set={set} field={field} />}
        {draft.kind === 'builtin' && (
          <p class="muted">Domus serves this provider itself (demo accounts); it has nothing to set.</p>
        )}
      </section>
      <div class="form-end">
        <button type="submit" disabled={submission.busy}>
          {props.isNew ? 'Create MVPD' : 'Save MVPD'}
        </button>
        {savedAs === draft && (
          <span class="done" role="status">
            Saved.
          </span>
        )}
      </div>
      <FormError submission={submission} fields={fields} />
    </form>
  );
}
