/**
 * Domains: search by part of the name or by a member's machine GUID, page through the results,
 * and create a domain with a first policy.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, seg } from '../api';
import { Link, navigate } from '../router';
import { asNumber, Field, FormError, Select, useSubmit } from '../ui/form';
import { Layout } from '../ui/layout';
import { ListState, Pager, usePaged } from '../ui/paged';

interface DomainRow {
  mode: 'anonymous' | 'identity';
  name: string;
  members: number;
  maxMembership: number | null;
  disabled: boolean;
}

const MODES = [
  { value: '', label: 'Both modes' },
  { value: 'anonymous', label: 'Anonymous' },
  { value: 'identity', label: 'Identity' },
];

export function DomainsPage(props: { path: string; query: URLSearchParams }) {
  const mode = props.query.get('mode') ?? '';
  const q = props.query.get('q') ?? '';
  const member = props.query.get('member') ?? '';
  const paged = usePaged<DomainRow>(
    (cursor) =>
      api.get('/domains', { mode: mode || undefined, q: q || undefined, member: member || undefined, cursor }),
    `${mode}|${q}|${member}`,
  );
  return (
    <Layout path={props.path} title="Domains">
      <SearchForm mode={mode} q={q} member={member} />
      <section aria-labelledby="domains-found">
        <h2 id="domains-found">
          {member ? `Domains of member ${member}` : q ? `Domains named like “${q}”` : 'All domains'}
        </h2>
        <ListState paged={paged} empty="No domain matches." />
        {paged.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Mode</th>
                <th scope="col">Members</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {paged.items.map((domain) => (
                <tr key={`${domain.mode}/${domain.name}`}>
                  <td>
                    <Link to={`/domains/${domain.mode}/${seg(domain.name)}`}>{domain.name}</Link>
                  </td>
                  <td>{domain.mode}</td>
                  <td>
                    {domain.members} of {domain.maxMembership ?? 'unlimited'}
                  </td>
                  <td>{domain.disabled ? 'disabled' : 'enabled'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager paged={paged} label="Domains" />
      </section>
      <CreateDomain />
    </Layout>
  );
}

function SearchForm(props: { mode: string; q: string; member: string }) {
  const [mode, setMode] = useState(props.mode);
  const [q, setQ] = useState(props.q);
  const [member, setMember] = useState(props.member);
  return (
    <form
      class="search"
      aria-label="Search domains"
      onSubmit={(event) => {
        event.preventDefault();
        const query = new URLSearchParams();
        if (mode) query.set('mode', mode);
        if (q.trim()) query.set('q', q.trim());
        if (member.trim()) query.set('member', member.trim());
        const text = query.toString();
        navigate(`/domains${text ? `?${text}` : ''}`);
      }}
    >
      <Field name="q" label="Name contains" value={q} onValue={setQ} maxLength={512} />
      <Field name="member" label="Member GUID" value={member} onValue={setMember} maxLength={64} />
      <Select name="mode" label="Mode" value={mode} options={MODES} onValue={setMode} />
      <button type="submit">Search</button>
    </form>
  );
}

function CreateDomain() {
  const [mode, setMode] = useState('anonymous');
  const [name, setName] = useState('');
  const [maxMembership, setMaxMembership] = useState('');
  const submission = useSubmit(async () => {
    const exists = await api.get(`/domains/${mode}/${seg(name)}`).then(
      () => true,
      (error: ApiError) => (error.status === 404 ? false : Promise.reject(error)),
    );
    if (exists) throw new ApiError(409, 'conflict', 'A domain of this mode and name exists already.', 'new-name');
    await api.put(`/domains/${mode}/${seg(name)}`, { maxMembership: asNumber(maxMembership, null) });
    navigate(`/domains/${mode}/${seg(name)}`);
  });
  return (
    <section aria-labelledby="create-domain">
      <h2 id="create-domain">Create a domain</h2>
      <form onSubmit={submission.onSubmit} class="inline">
        <Select name="new-mode" label="Mode" value={mode} options={MODES.slice(1)} onValue={setMode} />
        <Field
          name="new-name"
          label="Name"
          value={name}
          onValue={setName}
          required
          maxLength={512}
          error={submission.fieldError('new-name')}
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
        <button type="submit" disabled={submission.busy}>
          Create
        </button>
        <FormError submission={submission} fields={['maxMembership', 'new-name']} />
      </form>
    </section>
  );
}
