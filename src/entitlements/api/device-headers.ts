/**
 * Parsers of the device headers (pass-rest-api-v2.md §3.3, §3.4), called by the routes whose
 * contract needs them. Each throws the header's enhanced error when the header is missing (and
 * required) or malformed; an optional header that is present must still be well-formed.
 *
 * - `AP-Device-Identifier: fingerprint <base64>`: the app's stable device id. The identifier is
 *   normalized (decoded and re-encoded), so padding or alphabet variants name the same device.
 * - `X-Device-Info: <base64 of a JSON object>` with the required keys `model`, `version`,
 *   `osName`, `osVersion`, `connectionType` (non-empty strings); other keys are kept as given.
 *   Adobe lists enumerations for some keys; Domus does not refuse values outside them, since the
 *   platforms report more than the lists hold.
 */
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
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return null;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return null;
  return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function parseDeviceIdentifier(header: string | string[] | undefined): DeviceIdentifier {
  const fail = (details: string) => new PassError('invalid_header_device_identifier', details);
  if (header === undefined) throw fail('the AP-Device-Identifier header is required');
  if (Array.isArray(header)) throw fail('AP-Device-Identifier must be sent once');
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (match?.[1]?.toLowerCase() !== 'fingerprint') {
    throw fail('AP-Device-Identifier must be "fingerprint <base64 identifier>"');
  }
  const bytes = decodeBase64(match[2] ?? '');
  if (!bytes || bytes.length === 0 || bytes.length > MAX_IDENTIFIER_BYTES) {
    throw fail(`the device identifier must be base64 of 1 to ${MAX_IDENTIFIER_BYTES} bytes`);
  }
  return { type: 'fingerprint', identifier: bytes.toString('base64') };
}

export function parseDeviceInfo(header: string | string[] | undefined): DeviceInfo {
  const fail = (details: string) => new PassError('invalid_header_device_info', details);
  if (header === undefined) throw fail('the X-Device-Info header is required');
  if (Array.isArray(header)) throw fail('X-Device-Info must be sent once');
  const text = header.trim();
  if (text.length > MAX_DEVICE_INFO_CHARS)
    throw fail(`X-Device-Info is longer than ${MAX_DEVICE_INFO_CHARS} characters`);
  const bytes = decodeBase64(text);
  if (!bytes) throw fail('X-Device-Info must be base64 of a JSON object');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw fail('X-Device-Info must be base64 of a JSON object');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw fail('X-Device-Info must be base64 of a JSON object');
  }
  const info = raw as Record<string, unknown>;
  const missing = REQUIRED_INFO_KEYS.filter((key) => {
    const value = info[key];
    return typeof value !== 'string' || value.trim() === '' || value.length > MAX_VALUE_CHARS;
  });
  if (missing.length > 0) {
    throw fail(`X-Device-Info lacks non-empty string values for: ${missing.join(', ')}`);
  }
  const value = (key: (typeof REQUIRED_INFO_KEYS)[number]) => info[key] as string;
  return {
    model: value('model'),
    version: value('version'),
    osName: value('osName'),
    osVersion: value('osVersion'),
    connectionType: value('connectionType'),
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
