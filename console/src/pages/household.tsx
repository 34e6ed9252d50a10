/**
 * A pay-TV household, side by side: per MVPD, the viewers' current profiles (signed-in devices
 * of apps) and the members of the household's identity DRM domain (GET /admin/v1/households/…).
 */
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { Link, navigate } from '../router';
import { Field } from '../ui/form';
import { Layout, Time } from '../ui/layout';
import { LoadState, useLoad } from '../ui/load';

interface Household {
  householdId: string;
  mvpds: {
    mvpd: string;
    displayName: string;
    profiles: { serviceProvider: string; deviceId: string; clientId: string; notBefore: string; notAfter: string }[];
    domain: {
      mode: 'identity';
      name: string;
      exists: boolean;
      memberCount: number;
      members: { guid: string; label: string | null; firstSeen: string; lastSeen: string }[];
      nextCursor: string | null;
    };
  }[];
}

export function HouseholdPage(props: { path: string; query: URLSearchParams }) {
  const id = props.query.get('id') ?? '';
  const [text, setText] = useState(id);
  return (
    <Layout path={props.path} title={id ? `Household ${id}` : 'Households'}>
      <form
        class="search"
        aria-label="Find a household"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(`/household?id=${encodeURIComponent(text.trim())}`);
        }}
      >
        <Field
          name="household"
          label="Household id"
          value={text}
          onValue={setText}
          required
          maxLength={256}
          hint="As the MVPD names it (its householdID, else the user id)."
        />
        <button type="submit">Show</button>
      </form>
      {id && <HouseholdView id={id} />}
    </Layout>
  );
}

function HouseholdView(props: { id: string }) {
  const household = useLoad<Household>(() => api.get(`/households/${seg(props.id)}`), props.id);
  const data = household.data;
  return (
    <>
      <LoadState loaded={household} />
      {data && data.mvpds.length === 0 && <p class="muted">No MVPD knows a profile or a domain of this household.</p>}
      {data?.mvpds.map((entry) => (
        <section key={entry.mvpd} aria-labelledby={`mvpd-${entry.mvpd}`}>
          <h2 id={`mvpd-${entry.mvpd}`}>
            {entry.displayName} <span class="muted">({entry.mvpd})</span>
          </h2>
          <div class="side-by-side">
            <div>
              <h3>Profiles</h3>
              {entry.profiles.length === 0 ? (
                <p class="muted">No current profile.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Service provider</th>
                      <th scope="col">Device</th>
                      <th scope="col">Until</th>
                    </tr>
                  </thead>
                  <tbody>
                    {entry.profiles.map((profile) => (
                      <tr key={`${profile.serviceProvider}/${profile.deviceId}/${profile.clientId}`}>
                        <td>{profile.serviceProvider}</td>
                        <td>
                          <code>{profile.deviceId}</code>
                        </td>
                        <td>
                          <Time iso={profile.notAfter} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <div>
              <h3>
                DRM domain{' '}
                {entry.domain.exists ? (
                  <Link to={`/domains/identity/${seg(entry.domain.name)}`}>{entry.domain.name}</Link>
                ) : (
                  <code>{entry.domain.name}</code>
                )}
              </h3>
              {!entry.domain.exists ? (
                <p class="muted">No device of this household has joined yet.</p>
              ) : (
                <>
                  <p>
                    {entry.domain.memberCount} {entry.domain.memberCount === 1 ? 'member' : 'members'}
                  </p>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Member</th>
                        <th scope="col">Last seen</th>
                      </tr>
                    </thead>
                    <tbody>
                      {entry.domain.members.map((member) => (
                        <tr key={member.guid}>
                          <td>
                            {member.label ?? ''} <code>{member.guid}</code>
                          </td>
                          <td>
                            <Time iso={member.lastSeen} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  {entry.domain.nextCursor && (
                    <p>
                      <Link to={`/domains/identity/${seg(entry.domain.name)}`}>All members</Link>
                    </p>
                  )}
                </>
              )}
            </div>
          </div>
        </section>
      ))}
    </>
  );
}
