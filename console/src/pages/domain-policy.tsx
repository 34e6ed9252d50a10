/** A domain's policy form: every field of the admin API's policy, saved with one PUT. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { asNumber, Check, Field, FormError, useSubmit } from '../ui/form';
import type { Loaded } from '../ui/load';
import type { DomainDetails } from './domain';

export interface Policy {
  authRequired: boolean;
  authNamespace: string | null;
  maxMembership: number | null;
  disabled: boolean;
  removalLimit: { removals: number; periodSeconds: number } | null;
  evictAfterSeconds: number | null;
  keyRetentionSeconds: number | null;
}

const text = (value: number | string | null | undefined) =>
  value === null || value === undefined ? '' : String(value);

export function PolicyForm(props: { base: string; domain: Loaded<DomainDetails>; onChanged(): void }) {
  const policy = (props.domain.data as DomainDetails).policy;
  const [authRequired, setAuthRequired] = useState(policy.authRequired);
  const [authNamespace, setAuthNamespace] = useState(text(policy.authNamespace));
  const [maxMembership, setMaxMembership] = useState(text(policy.maxMembership));
  const [disabled, setDisabled] = useState(policy.disabled);
  const [removals, setRemovals] = useState(text(policy.removalLimit?.removals));
  const [period, setPeriod] = useState(text(policy.removalLimit?.periodSeconds));
  const [evictAfter, setEvictAfter] = useState(text(policy.evictAfterSeconds));
  const [keyRetention, setKeyRetention] = useState(text(policy.keyRetentionSeconds));
  const [saved, setSaved] = useState(false);
  useEffect(
    () => setSaved(false),
    [authRequired, authNamespace, maxMembership, disabled, removals, period, evictAfter, keyRetention],
  );
  const submission = useSubmit(async () => {
    const removalLimit =
      removals.trim() === '' && period.trim() === ''
        ? null
        : { removals: asNumber(removals, undefined), periodSeconds: asNumber(period, undefined) };
    await api.put(props.base, {
      authRequired,
      authNamespace: authNamespace.trim() === '' ? null : authNamespace,
      maxMembership: asNumber(maxMembership, null),
      disabled,
      removalLimit,
      evictAfterSeconds: asNumber(evictAfter, null),
      keyRetentionSeconds: asNumber(keyRetention, null),
    });
    setSaved(true);
    props.onChanged();
  });
  const fields = [
    'authRequired',
    'authNamespace',
    'maxMembership',
    'disabled',
    'removalLimit',
    'evictAfterSeconds',
    'keyRetentionSeconds',
  ];
  return (
    <section aria-labelledby="policy">
      <h2 id="policy">Policy</h2>
      <form onSubmit={submission.onSubmit} class="grid">
        <Check
          name="authRequired"
          label="Joining needs an auth token"
          checked={authRequired}
          onChecked={setAuthRequired}
          error={submission.fieldError('authRequired')}
        />
        <Field
          name="authNamespace"
          label="Auth namespace"
          value={authNamespace}
          onValue={setAuthNamespace}
          placeholder="any"
          error={submission.fieldError('authNamespace')}
        />
        <Field
          name="maxMembership"
          label="Member limit"
          value={maxMembership}
          onValue={setMaxMembership}
          inputMode="numeric"
          placeholder="unlimited"
          error={submission.fieldError('maxMembership')}
        />
        <Check
          name="disabled"
          label="Disabled (no joins)"
          checked={disabled}
          onChecked={setDisabled}
          error={submission.fieldError('disabled')}
        />
        <Field
          name="removalLimit.removals"
          label="Removals allowed"
          value={removals}
          onValue={setRemovals}
          inputMode="numeric"
          placeholder="no limit"
          error={submission.fieldError('removalLimit.removals') ?? submission.fieldError('removalLimit')}
        />
        <Field
          name="removalLimit.periodSeconds"
          label="Per period (seconds)"
          value={period}
          onValue={setPeriod}
          inputMode="numeric"
          error={submission.fieldError('removalLimit.periodSeconds')}
        />
        <Field
          name="evictAfterSeconds"
          label="Evict members unseen for (seconds)"
          value={evictAfter}
          onValue={setEvictAfter}
          inputMode="numeric"
          placeholder="never"
          error={submission.fieldError('evictAfterSeconds')}
        />
        <Field
          name="keyRetentionSeconds"
          label="Keep superseded keys for (seconds)"
          value={keyRetention}
          onValue={setKeyRetention}
          inputMode="numeric"
          placeholder="forever"
          error={submission.fieldError('keyRetentionSeconds')}
        />
        <div class="form-end">
          <button type="submit" disabled={submission.busy}>
            Save policy
          </button>
          {saved && (
            <span class="done" role="status">
              Saved.
            </span>
          )}
        </div>
        <FormError submission={submission} fields={fields} />
      </form>
    </section>
  );
}
