/**
 * `domus admin <resource> <action> …`: the operator model through a running server's admin API
 * (`/admin/v1`), like kubectl: it works against any deployment, and the server's route schemas
 * remain the one place that checks input. Prints the server's JSON answer on stdout; exit code
 * 0 on success, 1 when the server refuses or cannot be reached (its error on stderr), 2 for bad
 * usage (nothing sent).
 */
import { parseArgs } from 'node:util';
import { AdminCliError, AdminHttpError, adminCall, adminListAll, resolveTarget } from './admin-client.js';
import { type Action, RESOURCES } from './admin-commands.js';
import { UsageError, type Values } from './admin-input.js';

const GLOBAL_OPTIONS = ['url', 'token-file', 'help'];

/** Every option of every action; each action says which of them it accepts. */
const OPTIONS = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'display-name': { type: 'string' },
  file: { type: 'string' },
  active: { type: 'string' },
  name: { type: 'string' },
  'service-provider': { type: 'string', multiple: true },
  'redirect-domain': { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  rotate: { type: 'boolean' },
  mode: { type: 'string' },
  q: { type: 'string' },
  limit: { type: 'string' },
  'page-size': { type: 'string' },
  cursor: { type: 'string' },
  'auth-required': { type: 'string' },
  'auth-namespace': { type: 'string' },
  'max-membership': { type: 'string' },
  disabled: { type: 'string' },
  'removal-limit': { type: 'string' },
  'evict-after': { type: 'string' },
  'key-retention': { type: 'string' },
  reason: { type: 'string' },
  member: { type: 'string' },
  mvpd: { type: 'string' },
  minutes: { type: 'string' },
} as const;

/** One action's usage: on one line, or (given an `indent`) with its option lines below it. */
function actionUsage(resource: string, name: string, action: Action, indent?: string): string {
  const head = [resource, name, ...action.args].join(' ');
  const options = [action.options ?? []].flat();
  if (indent === undefined || options.length < 2) return [head, ...options.map((line) => line.trim())].join(' ');
  return [head, ...options.map((line) => `${indent}    ${line}`)].join('\n');
}

const USAGE = `usage: domus admin [--url <URL>] [--token-file <file>] <resource> <action> [arguments] [options]

${Object.entries(RESOURCES)
  .flatMap(([resource, actions]) =>
    Object.entries(actions).map(([name, action]) => `  ${actionUsage(resource, name, action, '  ')}`),
  )
  .join('\n')}

  --url <URL>         the server's public root (default: DOMUS_PUBLIC_URL, else
                      http://localhost:DOMUS_PORT)
  --token-file <file> a file holding the admin token (default: DOMUS_ADMIN_TOKEN, else the
                      admin-token file in DOMUS_DATA_DIR, default ./data)
  --file <file|->     the JSON request body, from a file or (-) standard input
  --limit, --cursor   one page of a long list, as the server answers it (then follow its
                      nextCursor); without them every page is read, --page-size (default 500)
                      items at a time, and printed as one list

Prints the server's JSON answer (nothing for a delete). Exit code 1 when the server refuses or
cannot be reached (the server's error on stderr), 2 for bad usage.
`;

export async function adminCommand(args: string[]): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS }));
  } catch (error) {
    return usage((error as Error).message.split('. To specify')[0] ?? '');
  }
  const [resource, name, ...rest] = positionals;
  if (values.help || resource === 'help' || (resource === undefined && args.length === 0)) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (resource === undefined) return usage('no resource given');
  const actions = Object.hasOwn(RESOURCES, resource) ? RESOURCES[resource] : undefined;
  if (!actions) return usage(`unknown resource "${resource}"`);
  const action = name !== undefined && Object.hasOwn(actions, name) ? actions[name] : undefined;
  if (!action || name === undefined) {
    return usage(name === undefined ? `${resource}: no action given` : `${resource}: unknown action "${name}"`);
  }
  const line = actionUsage(resource, name, action);
  if (rest.length !== action.args.length) {
    return usage(`${resource} ${name} takes ${action.args.length ? action.args.join(' ') : 'no arguments'}`, line);
  }
  const extra = Object.keys(values).find(
    (option) => !GLOBAL_OPTIONS.includes(option) && !action.accepts?.includes(option),
  );
  if (extra) return usage(`${resource} ${name} does not take --${extra}`, line);

  try {
    const request = action.request(rest, values);
    const target = resolveTarget({
      url: values.url as string | undefined,
      tokenFile: values['token-file'] as string | undefined,
    });
    const answer =
      request.kind === 'all'
        ? await adminListAll(target, request.path, request.query, request.pageSize)
        : await adminCall(target, request.method, request.path, { query: request.query, body: request.body });
    if (answer !== undefined) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message, line);
    if (error instanceof AdminHttpError || error instanceof AdminCliError) {
      process.stderr.write(`domus admin ${resource} ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The problem, then the action's usage line (or the whole usage); exit code 2. */
function usage(problem: string, line?: string): number {
  const help = line ? `usage: domus admin ${line}\n("domus admin help" lists every command)\n` : USAGE;
  process.stderr.write(`domus admin: ${problem}\n${help}`);
  return 2;
}
