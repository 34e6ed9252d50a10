/**
 * One domain: its state and actions (force a key rollover, suspend, reset the removal count), its
 * members with first and last seen (remove one, in two steps), its key versions, its policy
 * (edit), and its recent events. Members and events page, so a domain with a million members
 * opens as fast as a small one.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api';
import { asNumber, Check, Field, FormError, useSubmit } from '../ui/form';
import { Layout, Time } from '../ui/layout';
import { type Loaded, LoadState, useLoad } from '../ui/load';
import { ListState, Pager, usePaged } from '../ui/paged';

interface Policy {
  authRequired: boolean;
  authNamespace: string | null;
  maxMembership: number | null;
  disabled: boolean;
  removalLimit: { removals: number; periodSeconds: number } | null;
  evictAfterSeconds: number | null;
  keyRetentionSeconds: number | null;
}

export interface DomainDetails {
  mode: 'anonymous' | 'identity';
  name: string;
  serverUrl: string;
  policy: Policy;
  members: number;
  suspended: boolean;
  keyRolloverRequired: boolean;
  keyVersions: { version: number; createdAt: string }[];
  createdAt: string;
  updatedAt: string;
}

interface Member {
  guid: string;
  label: string | null;
  machine: { slot: number; components: string[] };
  firstSeen: string;
  lastSeen: string;
}

interface DomainEvent {
  at: string;
  kind: string;
  actor: { kind: 'device'; guid: string } | { kind: 'operator' };
  subject: string | null;
  keyVersion: number | null;
}

export function DomainPage(props: { path: string; mode: string; name: string }) {
  const base = `/domains/${props.mode}/${seg(props.name)}`;
  const domain = useLoad<DomainDetails>(() => api.get(base), base);
  const members = usePaged<Member>((cursor) => api.get(`${base}/members`, { cursor }), base);
  const events = usePaged<DomainEvent>((cursor) => api.get(`${base}/events`, { cursor, limit: 20 }), base);
  const changed = () => {
    domain.reload();
    members.reload();
    events.reload();
  };
  return (
    <Layout path={props.path} title={`Domain ${props.name}`}>
      <LoadState loaded={domain} />
      {domain.data && (
        <>
          <Summary domain={domain.data} />
          <Actions base={base} domain={domain.data} onChanged={changed} />
        </>
      )}
      <section aria-labelledby="members">
        <h2 id="members">Members</h2>
        <ListState paged={members} empty="No members." />
        {members.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">GUID</th>
                <th scope="col">Label</th>
                <th scope="col">Slot</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.items.map((member) => (
                <tr key={member.guid}>
                  <td>
                    <code>{member.guid}</code>
                  </td>
                  <td>{member.label ?? <span class="muted">—</span>}</td>
                  <td>{member.machine.slot}</td>
                  <td>
                    <Time iso={member.firstSeen} />
                  </td>
                  <td>
                    <Time iso={member.lastSeen} />
                  </td>
                  <td>
                    <RemoveMember base={base} member={member} onRemoved={changed} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={members} label="Members" />
      </section>
      {domain.data && (
        <>
          <KeyVersions domain={domain.data} />
          <PolicyForm base={base} domain={domain} onChanged={changed} />
        </>
      )}
      <section aria-labelledby="events">
        <h2 id="events">Recent events</h2>
        <ListState paged={events} empty="No events." />
        {events.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">By</th>
                <th scope="col">Member</th>
                <th scope="col">Key version</th>
              </tr>
            </thead>
            <tbody>
              {events.items.map((event, index) => (
                <tr key={`${event.at}-${index}`}>
                  <td>
                    <Time iso={event.at} />
                  </td>
                  <td>{event.kind.replace(/_/g, ' ')}</td>
                  <td>{event.actor.kind === 'device' ? <code>{event.actor.guid}</code> : 'operator'}</td>
                  <td>{event.subject ? <code>{event.subject}</code> : <span class="muted">—</span>}</td>
                  <td>{event.keyVersion ?? <span class="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={events} label="Events" />
      </section>
    </Layout>
  );
}

function Summary(props: { domain: DomainDetails }) {
  const { domain } = props;
  const latest = domain.keyVersions.at(-1)?.version;
  return (
    <dl class="summary">
      <dt>Mode</dt>
      <dd>{domain.mode}</dd>
      <dt>Server URL</dt>
      <dd>
        <code>{domain.serverUrl}</code>
      </dd>
      <dt>Members</dt>
      <dd data-testid="member-count">
        {domain.members} of {domain.policy.maxMembership ?? 'unlimited'}
      </dd>
      <dt>Key version</dt>
      <dd data-testid="key-version">
        {latest ?? 'none yet'}
        {domain.keyRolloverRequired ? ' (the next join makes a new one)' : ''}
      </dd>
      <dt>State</dt>
      <dd data-testid="domain-state">
        {domain.suspended ? 'suspended' : domain.policy.disabled ? 'disabled' : 'active'}
      </dd>
      <dt>Created</dt>
      <dd>
        <Time iso={domain.createdAt} />
      </dd>
    </dl>
  );
}

function Actions(props: { base: string; domain: DomainDetails; onChanged(): void }) {
  const [done, setDone] = useState('');
  const act = (path: string, message: string) =>
    useSubmit(async () => {
      await api.post(`${props.base}/${path}`);
      setDone(message);
      props.onChanged();
    });
  const rollover = act('rollover', 'Key rollover set: the next join makes a new key version.');
  const suspend = act(
    props.domain.suspended ? 'resume' : 'suspend',
    props.domain.suspended ? 'Resumed.' : 'Suspended.',
  );
  const reset = act('removals/reset', 'Removal count reset.');
  const error = rollover.error ?? suspend.error ?? reset.error;
  return (
    <section aria-labelledby="actions">
      <h2 id="actions">Actions</h2>
      <div class="actions">
        <button type="button" onClick={rollover.run} disabled={rollover.busy || props.domain.keyRolloverRequired}>
          Force key rollover
        </button>
        <button type="button" onClick={suspend.run} disabled={suspend.busy}>
          {props.domain.suspended ? 'Resume' : 'Suspend'}
        </button>
        <button type="button" onClick={reset.run} disabled={reset.busy}>
          Reset removal count
        </button>
      </div>
      {error ? (
        <p class="error" role="alert">
          {error.message}
        </p>
      ) : (
        done && (
          <p class="done" role="status">
            {done}
          </p>
        )
      )}
    </section>
  );
}

function KeyVersions(props: { domain: DomainDetails }) {
  const versions = [...props.domain.keyVersions].reverse();
  return (
    <section aria-labelledby="key-versions">
      <h2 id="key-versions">Key versions</h2>
      {versions.length === 0 ? (
        <p class="muted">None yet: the first join makes version 1.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((key) => (
              <tr key={key.version}>
                <td>{key.version}</td>
                <td>
                  <Time iso={key.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const text = (value: number | string | null | undefined) =>
  value === null || value === undefined ? '' : String(value);

function PolicyForm(props: { base: string; domain: Loaded<DomainDetails>; onChanged(): void }) {
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

function RemoveMember(props: { base: string; member: Member; onRemoved(): void }) {
  const [confirming, setConfirming] = useState(false);
  const submission = useSubmit(async () => {
    await api.delete(`${props.base}/members/${seg(props.member.guid)}`);
    props.onRemoved();
  });
  const who = props.member.label ?? props.member.guid;
  if (!confirming) {
    return (
      <button type="button" onClick={() => setConfirming(true)} aria-label={`Remove ${who}`}>
        Remove
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        onClick={submission.run}
        disabled={submission.busy}
        aria-label={`Confirm removal of ${who}`}
      >
        Confirm removal
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {submission.error && (
        <span class="error" role="alert">
          {submission.error.message}
        </span>
      )}
    </span>
  );
}
