/**
 * Command-line input of `domus admin` turned into JSON: request bodies from a file or standard
 * input, and option values spelled as booleans, integers or "none". Anything beyond the spelling
 * (ranges, required fields, known ids) is the server's to check.
 */
import fs from 'node:fs';

/** Bad command-line input: nothing was sent. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parsed options, as node:util parseArgs gives them. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** The fields that were given. */
export function definedFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * The JSON body in `file` (`-` = standard input), or undefined without `--file`. `--file` and
 * field options (`fields`, named `what` in the message) do not mix.
 */
export function bodyFromFile(file: string | undefined, fields: Record<string, unknown>, what: string): unknown {
  if (file === undefined) return undefined;
  if (Object.keys(fields).length > 0) throw new UsageError(`give --file or ${what}, not both`);
  const source = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${(error as Error).message}`);
  }
}

/** `--name true|false` as a boolean. */
export function flag(values: Values, name: string): boolean | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new UsageError(`--${name} must be true or false, got "${raw}"`);
}

/** `--name <text>|none`; none = null (a value that is literally "none" needs --file). */
export function textOrNone(values: Values, name: string): string | null | undefined {
  const raw = values[name] as string | undefined;
  return raw === 'none' ? null : raw;
}

/** `--name <integer>|none`; none = null. */
export function integerOrNone(values: Values, name: string): number | null | undefined {
  const raw = values[name] as string | undefined;
  if (raw === undefined) return undefined;
  if (raw === 'none') return null;
  if (!/^-?\d{1,15}$/.test(raw)) throw new UsageError(`--${name} must be an integer or none, got "${raw}"`);
  return Number(raw);
}

/** An application (POST/PUT /applications): from --file or the field options. */
export function applicationBody(values: Values): unknown {
  const fields = definedFields({
    name: values.name,
    serviceProviders: values['service-provider'],
    redirectDomains: values['redirect-domain'],
    scopes: values.scope,
  });
  return bodyFromFile(values.file as string | undefined, fields, 'the application options') ?? fields;
}

/** A domain policy (PUT /domains/…); no option at all = {} (the defaults, or no change). */
export function policyBody(values: Values): unknown {
  const fields = definedFields({
    authRequired: flag(values, 'auth-required'),
    authNamespace: textOrNone(values, 'auth-namespace'),
    maxMembership: integerOrNone(values, 'max-membership'),
    disabled: flag(values, 'disabled'),
    removalLimit: removalLimit(values),
    evictAfterSeconds: integerOrNone(values, 'evict-after'),
    keyRetentionSeconds: integerOrNone(values, 'key-retention'),
  });
  return bodyFromFile(values.file as string | undefined, fields, 'the policy options') ?? fields;
}

/** `--removal-limit <removals>/<seconds>|none`, e.g. `1/2592000` for one removal per 30 days. */
function removalLimit(values: Values): { removals: number; periodSeconds: number } | null | undefined {
  const raw = values['removal-limit'] as string | undefined;
  if (raw === undefined) return undefined;
  if (raw === 'none') return null;
  const match = /^(\d{1,9})\/(\d{1,12})$/.exec(raw);
  if (!match) throw new UsageError(`--removal-limit must be <removals>/<seconds> or none, got "${raw}"`);
  return { removals: Number(match[1]), periodSeconds: Number(match[2]) };
}
