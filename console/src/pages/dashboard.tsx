/**
 * The dashboard: live counts from the server's own data (GET /admin/v1/stats, added up by every
 * process in the database): domains, members, and joins, leaves, removals, sign-ins, logouts,
 * decisions and errors by code, per minute. It refreshes itself every few seconds.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Select } from '../ui/form';
import { Layout, Time } from '../ui/layout';
import { LoadState, useLoad } from '../ui/load';

const REFRESH_MS = 5000;

interface Counts {
  joins: number;
  leaves: number;
  removals: number;
  signIns: number;
  logouts: number;
  decisions: number;
  errors: Record<string, number>;
}

interface Stats {
  at: string;
  domains: { anonymous: number; identity: number };
  members: number;
  minutes: (Counts & { minute: string })[];
  totals: Counts;
}

const COLUMNS: [keyof Omit<Counts, 'errors'>, string][] = [
  ['joins', 'Joins'],
  ['leaves', 'Leaves'],
  ['removals', 'Removals'],
  ['signIns', 'Sign-ins'],
  ['logouts', 'Logouts'],
  ['decisions', 'Decisions'],
];

const WINDOWS = [
  { value: '15', label: 'Last 15 minutes' },
  { value: '30', label: 'Last 30 minutes' },
  { value: '60', label: 'Last hour' },
];

const errorCount = (counts: Counts) => Object.values(counts.errors).reduce((sum, n) => sum + n, 0);

export function DashboardPage(props: { path: string }) {
  const [minutes, setMinutes] = useState('15');
  const stats = useLoad<Stats>(() => api.get('/stats', { minutes }), minutes);
  useEffect(() => {
    const timer = setInterval(stats.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [stats.reload]);
  const data = stats.data;
  return (
    <Layout path={props.path} title="Dashboard">
      <LoadState loaded={stats} />
      {data && (
        <>
          <p class="muted">
            Updated <Time iso={data.at} />; refreshes every {REFRESH_MS / 1000} seconds. Counts reach the database every
            few seconds, so the last minute is still being counted.
          </p>
          <div class="cards">
            <Card label="Anonymous domains" value={data.domains.anonymous} />
            <Card label="Identity domains" value={data.domains.identity} />
            <Card label="Members" value={data.members} />
            {COLUMNS.map(([key, label]) => (
              <Card key={key} label={label} value={data.totals[key]} />
            ))}
            <Card label="Errors" value={errorCount(data.totals)} />
          </div>
          <Select name="minutes" label="Window" value={minutes} options={WINDOWS} onValue={setMinutes} />
          <section aria-labelledby="per-minute">
            <h2 id="per-minute">Per minute</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Minute</th>
                  {COLUMNS.map(([key, label]) => (
                    <th scope="col" key={key}>
                      {label}
                    </th>
                  ))}
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {[...data.minutes].reverse().map((row) => (
                  <tr key={row.minute}>
                    <td>
                      <time dateTime={row.minute}>{new Date(row.minute).toLocaleTimeString()}</time>
                    </td>
                    {COLUMNS.map(([key]) => (
                      <td key={key}>{row[key]}</td>
                    ))}
                    <td>{errorCount(row)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section aria-labelledby="errors-by-code">
            <h2 id="errors-by-code">Errors by code</h2>
            {errorCount(data.totals) === 0 ? (
              <p class="muted">No errors in this window.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Code</th>
                    <th scope="col">Count</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(data.totals.errors)
                    .sort((a, b) => b[1] - a[1])
                    .map(([code, count]) => (
                      <tr key={code}>
                        <td>
                          <code>{code}</code>
                        </td>
                        <td>{count}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </Layout>
  );
}

function Card(props: { label: string; value: number }) {
  return (
    <div class="card">
      <div class="label">{props.label}</div>
      <div class="value" data-testid={`stat-${props.label}`}>
        {props.value.toLocaleString()}
      </div>
    </div>
  );
}
