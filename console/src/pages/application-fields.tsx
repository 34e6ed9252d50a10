/**
 * The fields of a registered application, shared by the create form (pages/applications.tsx) and
 * the edit form (pages/application.tsx): its name, service providers, redirect domains and
 * scopes, lists typed as words separated by spaces or commas.
 */
import type { Application } from '../entitlement-types';
import { Field, type Submission } from '../ui/form';

export interface ApplicationDraft {
  name: string;
  serviceProviders: string;
  redirectDomains: string;
  scopes: string;
}

export const EMPTY_APPLICATION: ApplicationDraft = { name: '', serviceProviders: '', redirectDomains: '', scopes: '' };

export const APPLICATION_FIELDS = ['name', 'serviceProviders', 'redirectDomains', 'scopes'];

const words = (text: string) => text.split(/[\s,]+/).filter((word) => word !== '');

export function applicationDraft(application: Application): ApplicationDraft {
  return {
    name: application.name,
    serviceProviders: application.serviceProviders.join(' '),
    redirectDomains: application.redirectDomains.join(' '),
    scopes: application.scopes.join(' '),
  };
}

/** The admin API's body: empty scopes are left out (the API's default, api:client:v2). */
export function applicationBody(draft: ApplicationDraft) {
  const scopes = words(draft.scopes);
  return {
    name: draft.name,
    serviceProviders: words(draft.serviceProviders),
    redirectDomains: words(draft.redirectDomains),
    scopes: scopes.length > 0 ? scopes : undefined,
  };
}

export function ApplicationFields(props: {
  draft: ApplicationDraft;
  onDraft(draft: ApplicationDraft): void;
  submission: Submission;
}) {
  const { draft, submission } = props;
  const set = (key: keyof ApplicationDraft) => (value: string) => props.onDraft({ ...draft, [key]: value });
  return (
    <>
      <Field
        name="name"
        label="Name"
        value={draft.name}
        onValue={set('name')}
        maxLength={200}
        error={submission.fieldError('name')}
      />
      <Field
        name="serviceProviders"
        label="Service providers"
        value={draft.serviceProviders}
        onValue={set('serviceProviders')}
        placeholder="REF30"
        hint="Ids, separated by spaces: the providers its access tokens may call."
        error={submission.fieldError('serviceProviders')}
      />
      <Field
        name="redirectDomains"
        label="Redirect domains"
        value={draft.redirectDomains}
        onValue={set('redirectDomains')}
        placeholder="app.example *.app.example"
        hint="Host names, separated by spaces; a leading *. allows subdomains."
        error={submission.fieldError('redirectDomains')}
      />
      <Field
        name="scopes"
        label="Scopes"
        value={draft.scopes}
        onValue={set('scopes')}
        placeholder="api:client:v2"
        hint="Separated by spaces; empty for api:client:v2."
        error={submission.fieldError('scopes')}
      />
    </>
  );
}
