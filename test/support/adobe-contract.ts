/**
 * Contract checks against Adobe's own OpenAPI files (`restApiV2.json` and `dcrApi.json`, the REST
 * API V2 and DCR descriptions), with a standard validator (openapi-backend): an answer of Domus
 * must be one that Adobe's description allows for that operation and status, and a request a
 * test sends may be checked to be one Adobe's description allows.
 *
 * Adobe's files are not part of this repository: DOMUS_ADOBE_OPENAPI_DIR names the folder that
 * holds them (`.ci/run` sets it). Without them the checks are skipped, with one line saying so;
 * under CI (`CI=true`) their absence fails the run instead, as a missing browser does.
 *
 * Adobe's files are used unchanged except for their known defects (the first two are in the
 * NOTICE there), corrected here and nowhere else:
 *
 * 1. `ErrorInformation.message` is typed as an object; every documented sample, and Domus
 *    (docs/entitlement-api.md, "Where Adobe's sources disagree"), send a string → the `Message`
 *    schema becomes a string.
 * 2. `/client/token` lists its parameters in the query string only; the prose documentation sends
 *    them in a form body, and Domus accepts either (docs/entitlement-api.md, "2. Get an access
 *    token") → the query parameters become optional and a form body with the same parameters is
 *    added.
 * 3. `UserMetadataResponse.value` (a profile attribute's value) is typed as an object; Adobe's
 *    user-metadata documentation and every profile sample send strings (`userID`, `householdID`),
 *    numbers, booleans, lists and maps → the value may be any of them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Document, OpenAPIBackend } from 'openapi-backend';

const FILES_DIR = process.env.DOMUS_ADOBE_OPENAPI_DIR;
const available = FILES_DIR !== undefined && fs.existsSync(path.join(FILES_DIR, 'restApiV2.json'));
if (!available) {
  const why = 'set DOMUS_ADOBE_OPENAPI_DIR to the folder of restApiV2.json and dcrApi.json';
  if (process.env.CI === 'true') throw new Error(`Adobe's OpenAPI files are missing under CI: ${why}`);
  console.log(`# Adobe OpenAPI contract checks skipped: ${why}`);
}

interface Api {
  /** Where Domus serves the paths of the file. */
  root: string;
  backend: OpenAPIBackend;
}

// biome-ignore lint/suspicious/noExplicitAny: Adobe's documents are edited as plain JSON
type Json = any;

/** The known defects, corrected in the documents as loaded. */
function correctKnownDefects(file: string, document: Json): Json {
  if (file === 'restApiV2.json') {
    document.components.schemas.Message = { type: 'string' };
    document.components.schemas.UserMetadataResponse.properties.value = {
      oneOf: ['string', 'number', 'boolean', 'array', 'object'].map((type) => ({ type })),
    };
  }
  if (file === 'dcrApi.json') {
    const token = document.paths['/client/token'].post;
    const properties: Record<string, Json> = {};
    for (const parameter of token.parameters) {
      if (parameter.in !== 'query') continue;
      properties[parameter.name] = parameter.schema;
      parameter.required = false;
    }
    token.requestBody = {
      content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties } } },
    };
  }
  return document;
}

async function load(file: string, root: string): Promise<Api> {
  const text = fs.readFileSync(path.join(FILES_DIR as string, file), 'utf8');
  const definition = correctKnownDefects(file, JSON.parse(text)) as Document;
  const backend = new OpenAPIBackend({ definition, apiRoot: root, quick: false, validate: true, strict: false });
  await backend.init();
  return { root, backend };
}

let apis: Promise<Api[]> | undefined;
const loadApis = () => {
  apis ??= Promise.all([load('restApiV2.json', '/api/v2'), load('dcrApi.json', '/o')]);
  return apis;
};

async function operationFor(method: string, url: string) {
  const path = new URL(url, 'http://x').pathname;
  for (const api of await loadApis()) {
    if (!path.startsWith(`${api.root}/`)) continue;
    const operation = api.backend.matchOperation({ method, path, headers: {}, query: {} });
    if (operation) return { api, operation };
  }
  throw new Error(`Adobe's OpenAPI files describe no operation ${method} ${path}`);
}

/**
 * The ways an answer breaks Adobe's description of its operation (empty = none): the status must
 * be one the operation declares, and a JSON body must match that status's schema.
 */
export async function adobeResponseErrors(method: string, url: string, status: number, body: unknown) {
  if (!available) return [];
  const { api, operation } = await operationFor(method, url);
  const declared = operation.responses?.[String(status)] ?? operation.responses?.default;
  if (!declared) return [`status ${status} is not declared for ${operation.operationId}`];
  const result = api.backend.validateResponse(body, operation, status);
  return (result.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}

/** Fails unless the answer is one Adobe's description allows (see adobeResponseErrors). */
export async function assertAdobeResponse(method: string, url: string, response: { status: number; body: unknown }) {
  const errors = await adobeResponseErrors(method, url, response.status, response.body);
  if (errors.length > 0) {
    throw new Error(
      `${method} ${url} → ${response.status} breaks Adobe's contract:\n${errors.join('\n')}\n${JSON.stringify(response.body)}`,
    );
  }
}

/**
 * Fails unless `body` is an enhanced error as Adobe describes it (`ErrorInformation`), for answers
 * whose status Adobe's files do not list (429 from the throttle, whose real Adobe body is HTML).
 * Checked with the schema of the configuration operation's 400 answer, which is ErrorInformation.
 */
export async function assertAdobeErrorBody(body: unknown) {
  const errors = await adobeResponseErrors('GET', '/api/v2/any/configuration', 400, body);
  if (errors.length > 0)
    throw new Error(`not an Adobe ErrorInformation: ${errors.join('; ')}\n${JSON.stringify(body)}`);
}

/** The ways a request breaks Adobe's description of its operation (empty = none). */
export async function adobeRequestErrors(request: {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}) {
  if (!available) return [];
  const { api, operation } = await operationFor(request.method, request.url);
  const url = new URL(request.url, 'http://x');
  const result = api.backend.validateRequest(
    {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers ?? {},
      body: request.body,
    },
    operation,
  );
  return (result.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}
