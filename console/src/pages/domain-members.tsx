/**
 * A domain's members, a page at a time: GUID, the label the device gave itself, machine slot,
 * first and last seen, and a removal in two steps (a committed leave of that registration).
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { useSubmit } from '../ui/form';
import { Time } from '../ui/layout';
import { ListState, type Paged, Pager } from '../ui/paged';

export interface Member {
  guid: string;
  label: string | null;
  machine: { slot: number; components: string[] };
  firstSeen: string;
  lastSeen: string;
}

export function DomainMembers(props: { base: string; members: Paged<Member>; onChanged(): void }) {
  return (
    <section aria-labelledby="members">
      <h2 id="members">Members</h2>
      <ListState paged={props.members} empty="No members." />
      {props.members.items.length > 0 && (
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
            {props.members.items.map((member) => (
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
                  <RemoveMember base={props.base} member={member} onRemoved={props.onChanged} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager paged={props.members} label="Members" />
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
