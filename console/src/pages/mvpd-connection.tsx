/** The connection fields of the MVPD form: an OpenID Connect provider's, or a SAML 2.0 IdP's. */
import { Field } from '../ui/form';
import { TextArea } from '../ui/text-area';
import type { Draft } from './mvpd-draft';

export interface FieldsProps {
  draft: Draft;
  set<K extends keyof Draft>(key: K): (value: Draft[K]) => void;
  field(name: string): string | undefined;
}

export function OidcFields(props: FieldsProps & { isNew: boolean }) {
  const { draft, set, field } = props;
  return (
    <div class="fields">
      <Field
        name="connection.issuer"
        label="Issuer"
        value={draft.issuer}
        onValue={set('issuer')}
        inputMode="url"
        placeholder="https://idp.example"
        error={field('connection.issuer')}
      />
      <Field
        name="connection.clientId"
        label="Client id"
        value={draft.clientId}
        onValue={set('clientId')}
        error={field('connection.clientId')}
      />
      <Field
        name="connection.clientSecret"
        label="Client secret"
        type="password"
        autoComplete="new-password"
        value={draft.clientSecret}
        onValue={set('clientSecret')}
        hint={
          props.isNew
            ? 'Stored sealed; never shown again.'
            : 'Never shown: leave empty to keep the stored secret, or enter a new one.'
        }
        error={field('connection.clientSecret')}
      />
      <Field
        name="connection.scopes"
        label="Scopes"
        value={draft.scopes}
        onValue={set('scopes')}
        placeholder="openid profile"
        hint="Separated by spaces; empty for openid profile."
        error={field('connection.scopes')}
      />
    </div>
  );
}

export function SamlFields(props: FieldsProps) {
  const { draft, set, field } = props;
  return (
    <>
      <div class="fields">
        <Field
          name="connection.idpEntityId"
          label="IdP entity id"
          value={draft.idpEntityId}
          onValue={set('idpEntityId')}
          error={field('connection.idpEntityId')}
        />
        <Field
          name="connection.ssoUrl"
          label="SSO URL"
          value={draft.ssoUrl}
          onValue={set('ssoUrl')}
          inputMode="url"
          hint="SingleSignOnService, HTTP-Redirect binding."
          error={field('connection.ssoUrl')}
        />
        <Field
          name="connection.sloUrl"
          label="SLO URL"
          value={draft.sloUrl}
          onValue={set('sloUrl')}
          inputMode="url"
          hint="SingleLogoutService: set exactly when the MVPD has a logout endpoint."
          error={field('connection.sloUrl')}
        />
      </div>
      <TextArea
        name="connection.certificates"
        label="Signing certificates"
        value={draft.certificates}
        onValue={set('certificates')}
        rows={8}
        hint="PEM, one block per certificate (two while the IdP rolls its key over)."
        error={field('connection.certificates')}
      />
    </>
  );
}
