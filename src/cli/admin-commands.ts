/**
 * What each `domus admin <resource> <action>` sends to the admin API: one table, from which the
 * usage text is made too. Flags only become JSON here (strings, booleans, integers, lists); the
 * rules of the operator model stay in the server's route schemas.
 */
import type { Method, Query } from './admin-client.js';
import {
  applicationBody,
  bodyFromFile,
  definedFields,
  flag,
  policyBody,
  UsageError,
  type Values,
} from './admin-input.js';

export type Request =
  | { kind: 'call'; method: Method; path: string; query?: Query; body?: unknown }
  /** A paginated list: every page, following `nextCursor`, `pageSize` items a page. */
  | { kind: 'all'; path: string; query?: Query; pageSize?: string };

export interface Action {
  /** Positional arguments, as shown in the usage. */
  args: string[];
  /** Options the action takes (beyond the global ones), as shown in the usage: one or more lines. */
  options?: string | string[];
  /** Names of those options. */
  accepts?: string[];
  request(args: string[], values: Values): Request;
}

const call = (method: Method, path: string, extra: { query?: Query; body?: unknown } = {}): Request => ({
  kind: 'call',
  method,
  path,
  ...extra,
});

/** A path segment. `.` and `..` would be resolved away by URL parsing, so they cannot be sent. */
export function segment(value: string): string {
  if (value === '') throw new UsageError('an argument is empty');
  if (value === '.' || value === '..') throw new UsageError(`"${value}" cannot be sent as a path segment`);
  return encodeURIComponent(value);
}
const join = (...parts: string[]) => parts.map(segment).join('/');

/**
 * `--limit`/`--cursor` ask for one page as the server answers it; without them, every page is
 * read, `--page-size` items at a time.
 */
function paged(path: string, values: Values, query: Query = {}): Request {
  const limit = values.limit as string | undefined;
  const cursor = values.cursor as string | undefined;
  const pageSize = values['page-size'] as string | undefined;
  if (limit === undefined && cursor === undefined) return { kind: 'all', path, query, pageSize };
  if (pageSize !== undefined) throw new UsageError('--page-size reads every page; --limit/--cursor read one');
  return call('GET', path, { query: { ...query, limit, cursor } });
}

const PAGE_OPTIONS = '[--page-size <n> | --limit <n> [--cursor <c>]]';
const PAGE_ACCEPTS = ['page-size', 'limit', 'cursor'];

const APPLICATION_OPTIONS = [
  '--file <app.json|->',
  '| --name <name> --service-provider <id>… --redirect-domain <host>… [--scope <scope>…]',
];
const APPLICATION_ACCEPTS = ['file', 'name', 'service-provider', 'redirect-domain', 'scope'];
const POLICY_OPTIONS = [
  '[--file <policy.json|->',
  '| [--auth-required true|false] [--disabled true|false]',
  '  [--auth-namespace <ns>|none] [--max-membership <n>|none]',
  '  [--removal-limit <removals>/<seconds>|none] [--evict-after <seconds>|none]',
  '  [--key-retention <seconds>|none]]',
];
const POLICY_ACCEPTS = [
  'file',
  'auth-required',
  'auth-namespace',
  'max-membership',
  'disabled',
  'removal-limit',
  'evict-after',
  'key-retention',
];

export const RESOURCES: Record<string, Record<string, Action>> = {
  'service-providers': {
    list: {
      args: [],
      options: PAGE_OPTIONS,
      accepts: PAGE_ACCEPTS,
      request: (_args, values) => paged('/service-providers', values),
    },
    get: { args: ['<id>'], request: ([id = '']) => call('GET', `/service-providers/${segment(id)}`) },
    put: {
      args: ['<id>'],
      options: '--display-name <name>',
      accepts: ['display-name'],
      request: ([id = ''], values) => {
        if (values['display-name'] === undefined) throw new UsageError('put needs --display-name');
        return call('PUT', `/service-providers/${segment(id)}`, { body: { displayName: values['display-name'] } });
      },
    },
    delete: { args: ['<id>'], request: ([id = '']) => call('DELETE', `/service-providers/${segment(id)}`) },
  },
  mvpds: {
    list: {
      args: [],
      options: PAGE_OPTIONS,
      accepts: PAGE_ACCEPTS,
      request: (_args, values) => paged('/mvpds', values),
    },
    get: { args: ['<id>'], request: ([id = '']) => call('GET', `/mvpds/${segment(id)}`) },
    put: {
      args: ['<id>'],
      options: '--file <mvpd.json|->',
      accepts: ['file'],
      request: ([id = ''], values) => {
        const body = bodyFromFile(values.file as string | undefined, {}, '');
        if (body === undefined) throw new UsageError('put needs --file (a file, or - for standard input)');
        return call('PUT', `/mvpds/${segment(id)}`, { body });
      },
    },
    delete: { args: ['<id>'], request: ([id = '']) => call('DELETE', `/mvpds/${segment(id)}`) },
  },
  integrations: {
    list: {
      args: [],
      options: `[--service-provider <id>] ${PAGE_OPTIONS}`,
      accepts: ['service-provider', ...PAGE_ACCEPTS],
      request: (_args, values) => {
        const filter = values['service-provider'] as string[] | undefined;
        if (filter && filter.length > 1) throw new UsageError('list takes one --service-provider');
        return paged('/integrations', values, { serviceProvider: filter?.[0] });
      },
    },
    get: {
      args: ['<sp>', '<mvpd>'],
      request: ([sp = '', mvpd = '']) => call('GET', `/integrations/${join(sp, mvpd)}`),
    },
    put: {
      args: ['<sp>', '<mvpd>'],
      options: '--active true|false',
      accepts: ['active'],
      request: ([sp = '', mvpd = ''], values) => {
        const active = flag(values, 'active');
        if (active === undefined) throw new UsageError('put needs --active true|false');
        return call('PUT', `/integrations/${join(sp, mvpd)}`, { body: { active } });
      },
    },
    delete: {
      args: ['<sp>', '<mvpd>'],
      request: ([sp = '', mvpd = '']) => call('DELETE', `/integrations/${join(sp, mvpd)}`),
    },
  },
  applications: {
    list: {
      args: [],
      options: PAGE_OPTIONS,
      accepts: PAGE_ACCEPTS,
      request: (_args, values) => paged('/applications', values),
    },
    get: { args: ['<id>'], request: ([id = '']) => call('GET', `/applications/${segment(id)}`) },
    create: {
      args: [],
      options: APPLICATION_OPTIONS,
      accepts: APPLICATION_ACCEPTS,
      request: (_args, values) => call('POST', '/applications', { body: applicationBody(values) }),
    },
    put: {
      args: ['<id>'],
      options: APPLICATION_OPTIONS,
      accepts: APPLICATION_ACCEPTS,
      request: ([id = ''], values) => call('PUT', `/applications/${segment(id)}`, { body: applicationBody(values) }),
    },
    delete: { args: ['<id>'], request: ([id = '']) => call('DELETE', `/applications/${segment(id)}`) },
    'software-statement': {
      args: ['<id>'],
      options: '[--rotate]',
      accepts: ['rotate'],
      request: ([id = ''], values) =>
        call(values.rotate ? 'POST' : 'GET', `/applications/${segment(id)}/software-statement`),
    },
  },
  domains: {
    list: {
      args: [],
      options: `[--mode anonymous|identity] [--q <text>] [--member <guid>] ${PAGE_OPTIONS}`,
      accepts: ['mode', 'q', 'member', ...PAGE_ACCEPTS],
      request: (_args, values) =>
        paged('/domains', values, {
          mode: values.mode as string | undefined,
          q: values.q as string | undefined,
          member: values.member as string | undefined,
        }),
    },
    get: {
      args: ['<mode>', '<name>'],
      request: ([mode = '', name = '']) => call('GET', `/domains/${join(mode, name)}`),
    },
    put: {
      args: ['<mode>', '<name>'],
      options: POLICY_OPTIONS,
      accepts: POLICY_ACCEPTS,
      request: ([mode = '', name = ''], values) =>
        call('PUT', `/domains/${join(mode, name)}`, { body: policyBody(values) }),
    },
    members: {
      args: ['<mode>', '<name>'],
      options: PAGE_OPTIONS,
      accepts: PAGE_ACCEPTS,
      request: ([mode = '', name = ''], values) => paged(`/domains/${join(mode, name)}/members`, values),
    },
    events: {
      args: ['<mode>', '<name>'],
      options: PAGE_OPTIONS,
      accepts: PAGE_ACCEPTS,
      request: ([mode = '', name = ''], values) => paged(`/domains/${join(mode, name)}/events`, values),
    },
    'remove-member': {
      args: ['<mode>', '<name>', '<guid>'],
      request: ([mode = '', name = '', guid = '']) =>
        call('DELETE', `/domains/${join(mode, name)}/members/${segment(guid)}`),
    },
    rollover: {
      args: ['<mode>', '<name>'],
      request: ([mode = '', name = '']) => call('POST', `/domains/${join(mode, name)}/rollover`),
    },
    suspend: {
      args: ['<mode>', '<name>'],
      options: '[--reason <text>]',
      accepts: ['reason'],
      request: ([mode = '', name = ''], values) =>
        call('POST', `/domains/${join(mode, name)}/suspend`, {
          body: definedFields({ reason: values.reason }),
        }),
    },
    resume: {
      args: ['<mode>', '<name>'],
      request: ([mode = '', name = '']) => call('POST', `/domains/${join(mode, name)}/resume`),
    },
    'reset-removals': {
      args: ['<mode>', '<name>'],
      request: ([mode = '', name = '']) => call('POST', `/domains/${join(mode, name)}/removals/reset`),
    },
  },
  households: {
    get: {
      args: ['<householdId>'],
      options: '[--mvpd <id>]',
      accepts: ['mvpd'],
      request: ([id = ''], values) =>
        call('GET', `/households/${segment(id)}`, { query: { mvpd: values.mvpd as string | undefined } }),
    },
  },
  stats: {
    show: {
      args: [],
      options: '[--minutes <n>]',
      accepts: ['minutes'],
      request: (_args, values) => call('GET', '/stats', { query: { minutes: values.minutes as string | undefined } }),
    },
  },
  // The operator console's password (docs/console.md): read from a file or standard input, never
  // from the command line, where it would stay in the shell's history and the process list.
  console: {
    password: { args: [], request: () => call('GET', '/console/password') },
    'set-password': {
      args: [],
      options: '--file <password.json|->',
      accepts: ['file'],
      request: (_args, values) => {
        const body = bodyFromFile(values.file as string | undefined, {}, '');
        if (body === undefined)
          throw new UsageError('set-password needs --file: {"password": "…"}, or - for standard input');
        return call('PUT', '/console/password', { body });
      },
    },
    'clear-password': { args: [], request: () => call('DELETE', '/console/password') },
  },
};
