/**
 * The field at fault in an MVPD's connection (PUT /admin/v1/mvpds/:id). The connection is one of
 * three kinds, a union, and the schema validator reports every kind's failures, the first kind's
 * first: a SAML connection with a bad `ssoUrl` would be refused for lacking the OIDC `issuer`.
 * This checks the connection against the kind it names and refuses with that kind's first
 * failure, by field (`connection.ssoUrl`), so a form shows it next to the right input.
 */
import { Value } from 'typebox/value';
import { AdminError } from '../../platform/http/admin.js';
import { CONNECTION_KINDS } from './operator-schemas.js';

type ValidationFailure = Error & { validation?: { instancePath: string }[]; validationContext?: string };

/** The refusal of a body whose validation failed in its connection; undefined when it failed elsewhere. */
export function connectionError(failure: ValidationFailure, body: unknown): AdminError | undefined {
  const first = failure.validation?.[0];
  if (failure.validationContext !== 'body' || !first?.instancePath.startsWith('/connection')) return undefined;
  const connection = (body as { connection?: unknown } | null)?.connection;
  if (typeof connection !== 'object' || connection === null) return undefined;
  const kind = (connection as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(CONNECTION_KINDS, kind)) {
    return new AdminError(
      400,
      'invalid_request',
      'body/connection/kind must be oidc, saml or builtin',
      'connection.kind',
    );
  }
  const schema = CONNECTION_KINDS[kind as keyof typeof CONNECTION_KINDS];
  // `boolean` repeats, at the property, what `additionalProperties` says of the object.
  const error = Value.Errors(schema, connection).find((e) => e.keyword !== 'boolean');
  if (!error) return undefined;
  const path = ['connection', ...error.instancePath.split('/').filter((part) => part !== '')];
  const params = error.params as { requiredProperties?: string[]; additionalProperties?: string[] };
  const leaf = params.requiredProperties?.[0] ?? params.additionalProperties?.[0];
  if (leaf !== undefined) path.push(leaf);
  return new AdminError(
    400,
    'invalid_request',
    `body/connection${error.instancePath} ${error.message} (${kind} connection)`,
    path.join('.'),
  );
}
