/**
 * A domain's members, a page at a time: GUID, the label the device gave itself, machine slot,
 * first and last seen, and a removal in two steps (a committed leave of that registration).
 */
import { api, seg } from '../api';
import { ConfirmButton } from '../ui/confirm';
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
                  <ConfirmButton
                    label="Remove"
                    what={member.label ?? member.guid}
                    confirm="Confirm removal"
                    action={async () => {
                      await api.delete(`${props.base}/members/${seg(member.guid)}`);
                      props.onChanged();
                    }}
                  />
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
