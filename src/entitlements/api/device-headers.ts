/**
 * Parsers of the device headers (`AP-Device-Identifier`, `X-Device-Info`; docs/entitlement-api.md,
 * "3. Call the V2 API"), called by the routes whose contract needs them. Each throws the header's
 * enhanced error when the header is missing (and required) or malformed; an optional header that is
 * present must still be well-formed.
 *
 * - `AP-Device-Identifier: fingerprint <base64>`: the app's stable device id. The identifier is
 *   normalized (decoded and re-encoded), so padding or alphabet variants name the same device.
 * - `X-Device-Info: <base64 of a JSON object>` with the required keys `model`, `version`,
 *   `osName`, `osVersion`, `connectionType` (non-empty strings); other keys are kept as given.
 *   Adobe lists enumerations for some keys; Domus does not refuse values outside them, since the
 *   platforms report more than the lists hold, but refuses text no database stores as given (NUL,
 *   lone surrogates).
 */
import { unstorableAt } from '../../platform/http/input.js';
import { PassError } from '../errors.js';

export interface DeviceIdentifier {
  type: 'fingerprint';
  /** The identifier in canonical base64 (with padding). */
  identifier: string;
}

export interface DeviceInfo {
  model: string;
  version: string;
  osName: string;
  osVersion: string;
  connectionType: string;
  /** Every key the app sent, the required ones included. */
  raw: Record<string, unknown>;
}

const MAX_IDENTIFIER_BYTES = 512;
const MAX_DEVICE_INFO_CHARS = 8192;
const MAX_VALUE_CHARS = 512;
const REQUIRED_INFO_KEYS = ['model', 'version', 'osName', 'osVersion', 'connectionType'] as const;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Decodes standard or URL-safe base64, padded or not; null when it is not base64. */
export function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if ((text.length - padding) % 4 === 1) return null;
  if (padding > 0 && text.length % 4 !== 0) return null;
  // Node's base64 decoder takes both alphabets.
  return Buffer.from(text, 'base64');
}

// The errors are made by module-level functions, not closures: these parsers run on every request.
const identifierError = (details: string) => new PassError('invalid_header_device_identifier', details);
const infoError = (details: string) => new PassError('invalid_header_device_info', details);
const NOT_A_JSON_OBJECT = 'X-Device-Info must be base64 of a JSON object';
const DEVICE_IDENTIFIER = /^\s*([A-Za-z]+)\s+(\S+)\s*$/;

export function parseDeviceIdentifier(header: string | string[] | undefined): DeviceIdentifier {
  if (header === undefined) throw identifierError('the AP-Device-Identifier header is required');
  if (Array.isArray(header)) throw identifierError('AP-Device-Identifier must be sent once');
  const match = DEVICE_IDENTIFIER.exec(header);
  if (match?.[1]?.toLowerCase() !== 'fingerprint') {
    throw identifierError('AP-Device-Identifier must be "fingerprint <base64 identifier>"');
  }
  const bytes = decodeBase64(match[2] ?? '');
  if (!bytes || bytes.length === 0 || bytes.length > MAX_IDENTIFIER_BYTES) {
    throw identifierError(`the device identifier must be base64 of 1 to ${MAX_IDENTIFIER_BYTES} bytes`);
  }
  return { type: 'fingerprint', identifier: bytes.toString('base64') };
}

export function parseDeviceInfo(header: string | string[] | undefined): DeviceInfo {
  if (header === undefined) throw infoError('the X-Device-Info header is required');
  if (Array.isArray(header)) throw infoError('X-Device-Info must be sent once');
  const text = header.trim();
  if (text.length > MAX_DEVICE_INFO_CHARS) {
    throw infoError(`X-Device-Info is longer than ${MAX_DEVICE_INFO_CHARS} characters`);
  }
  const bytes = decodeBase64(text);
  if (!bytes) throw infoError(NOT_A_JSON_OBJECT);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw infoError(NOT_A_JSON_OBJECT);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw infoError(NOT_A_JSON_OBJECT);
  // Kept with the session: no text a database cannot store as given (issue 9).
  if (unstorableAt(raw) !== undefined) {
    throw infoError('X-Device-Info holds a NUL character or a lone UTF-16 surrogate');
  }
  const info = raw as Record<string, unknown>;
  const missing: string[] = [];
  for (const key of REQUIRED_INFO_KEYS) {
    const value = info[key];
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_VALUE_CHARS) missing.push(key);
  }
  if (missing.length > 0) {
    throw infoError(`X-Device-Info lacks non-empty string values for: ${missing.join(', ')}`);
  }
  return {
    model: info.model as string,
    version: info.version as string,
    osName: info.osName as string,
    osVersion: info.osVersion as string,
    connectionType: info.connectionType as string,
    raw: info,
  };
}

/** Both device headers of a request; `required` false checks them only when present. */
export function deviceHeaders(
  headers: Record<string, string | string[] | undefined>,
  required: boolean,
): { identifier: DeviceIdentifier | undefined; info: DeviceInfo | undefined } {
  const identifierHeader = headers['ap-device-identifier'];
  const infoHeader = headers['x-device-info'];
  return {
    identifier: required || identifierHeader !== undefined ? parseDeviceIdentifier(identifierHeader) : undefined,
    info: required || infoHeader !== undefined ? parseDeviceInfo(infoHeader) : undefined,
  };
}
