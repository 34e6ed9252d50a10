/**
 * One domain: its state and actions (force a key rollover, suspend, reset the removal count), its
 * members with first and last seen (remove one, in two steps), its key versions, its policy
 * (edit), and its recent events. Members and events page, so a domain with a million members
 * opens as fast as a small one.
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useSubmit } from '../ui/form';
import { Layout, Time } from '../ui/layout';
import { LoadState, useLoad } from '../ui/load';
import { ListState, Pager, usePaged } from '../ui/paged';
import { DomainMembers, type Member } from './domain-members';
import { type Policy, PolicyForm } from './domain-policy';

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
      <DomainMembers base={base} members={members} onChanged={changed} />
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
