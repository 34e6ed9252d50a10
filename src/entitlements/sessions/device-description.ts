/**
 * The normalized description of a device (the `X-Device-Info` header), shaped as the `Device`
 * object of Adobe's OpenAPI, which the read-session answer carries for the primary device:
 *
 *   type, model, version{major,minor,patch,profile}, hardware{name,vendor,version,manufacturer},
 *   operatingSystem{name,family,vendor,version}, browser{name,vendor,version,userAgent},
 *   display{width,height,ppi,diagonalSize}, applicationId, connection{ipAddress,port,secure,type}
 *
 * built from the X-Device-Info keys the app sent. Keys of the wrong type are left out rather than
 * guessed; a hardware type outside Adobe's enumeration becomes `Unknown`. Domus infers nothing
 * from the User-Agent header.
 */

export const DEVICE_TYPES = [
  'Camera',
  'DataCollectionTerminal',
  'Desktop',
  'EmbeddedNetworkModule',
  'eReader',
  'GamesConsole',
  'GeolocationTracker',
  'Glasses',
  'MediaPlayer',
  'MobilePhone',
  'PaymentTerminal',
  'PluginModem',
  'SetTopBox',
  'TV',
  'Tablet',
  'WirelessHotspot',
  'Wristwatch',
  'VehicleMultimediaSystem',
  'Projector',
  'Unknown',
] as const;

export interface Version {
  major?: number;
  minor?: number;
  patch?: number;
  /** What follows the numbers (e.g. `beta` of `2.0.1-beta`), or the whole text when it has none. */
  profile?: string;
}

export interface DeviceDescription {
  type: (typeof DEVICE_TYPES)[number];
  model?: string;
  version?: Version;
  hardware?: { name?: string; vendor?: string; manufacturer?: string; version?: Version };
  operatingSystem?: { name?: string; family?: string; vendor?: string; version?: Version };
  browser?: { name?: string; vendor?: string; version?: Version; userAgent?: string };
  display?: { width?: number; height?: number; ppi?: number; diagonalSize?: string };
  applicationId?: string;
  connection?: { type?: string; secure?: boolean; port?: string; ipAddress?: { hostAddress: string } };
}

const MAX_INT32 = 2_147_483_647;

/** `10.2` → {major 10, minor 2}; `2.0.1-beta` → {…, profile 'beta'}; `r0q` → {profile 'r0q'}. */
export function parseVersion(text: string): Version | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const match = /^(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:[-+._ ]?(.+))?$/.exec(trimmed);
  if (!match) return { profile: trimmed };
  const [, major, minor, patch, profile] = match;
  return compact({
    major: Number(major),
    minor: minor === undefined ? undefined : Number(minor),
    patch: patch === undefined ? undefined : Number(patch),
    profile,
  });
}

export function describeDevice(info: Record<string, unknown>): DeviceDescription {
  const text = (key: string) => {
    const value = info[key];
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  };
  const integer = (key: string) => {
    const value = typeof info[key] === 'string' ? Number(info[key]) : info[key];
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_INT32 ? value : undefined;
  };
  const version = (key: string) => {
    const value = text(key);
    return value === undefined ? undefined : parseVersion(value);
  };
  const numberText = (key: string) => {
    const value = info[key];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return text(key);
  };
  const bool = (key: string) => {
    const value = info[key];
    if (typeof value === 'boolean') return value;
    return value === 'true' ? true : value === 'false' ? false : undefined;
  };

  const declaredType = text('primaryHardwareType') ?? text('type');
  const type = DEVICE_TYPES.find((known) => known === declaredType) ?? 'Unknown';
  const ip = text('connectionIp');
  return compact({
    type,
    model: text('model'),
    version: version('version'),
    hardware: section({
      name: text('model'),
      vendor: text('vendor'),
      manufacturer: text('manufacturer'),
      version: version('version'),
    }),
    operatingSystem: section({
      name: text('osName'),
      family: text('osFamily'),
      vendor: text('osVendor'),
      version: version('osVersion'),
    }),
    browser: section({
      name: text('browserName'),
      vendor: text('browserVendor'),
      version: version('browserVersion'),
      userAgent: text('userAgent'),
    }),
    display: section({
      width: integer('displayWidth'),
      height: integer('displayHeight'),
      ppi: integer('displayPpi'),
      diagonalSize: numberText('diagonalScreenSize'),
    }),
    applicationId: text('applicationId'),
    connection: section({
      type: text('connectionType'),
      secure: bool('connectionSecure'),
      port: numberText('connectionPort'),
      ipAddress: ip === undefined ? undefined : { hostAddress: ip },
    }),
  }) as DeviceDescription;
}

/** The object without its undefined values. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The object without its undefined values, or undefined when none is left. */
function section<T extends Record<string, unknown>>(value: T): T | undefined {
  const kept = compact(value);
  return Object.keys(kept).length > 0 ? kept : undefined;
}
