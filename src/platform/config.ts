/**
 * The one configuration object, read from environment variables once at startup.
 *
 * Every option is documented in config-options.ts (variable, default, meaning); the README's
 * configuration table is checked against that list by a test, so the two cannot drift.
 * The variable names are part of the operator's interface: they do not change.
 */
import os from 'node:os';
import path from 'node:path';

export type DatabaseTarget =
  | { kind: 'sqlite'; file: string }
  /** `listenUrl`: a direct session for the change listener (storage/change-signal.ts); default `url`. */
  | { kind: 'postgres'; url: string; listenUrl?: string };

export interface Config {
  host: string;
  port: number;
  /** Public root URL without a trailing slash, or undefined = http://localhost:{bound port}. */
  publicUrl: string | undefined;
  dataDir: string;
  database: DatabaseTarget;
  dbPoolSize: number;
  cryptoWorkers: number;
  autoMigrate: boolean;
  masterKey: Buffer | undefined;
  adminToken: string | undefined;
  authIssuersFile: string | undefined;
  machineIssuersFile: string | undefined;
  localIssuerId: string;
  indivIssuerId: string;
  machineTokenTtlS: number;
  credentialLifetimeS: number;
  timestampToleranceS: number;
  domainCaCertFile: string | undefined;
  domainCaKeyFile: string | undefined;
  anonymousDefaults: PolicyDefaults;
  identityDefaults: PolicyDefaults;
  trustedProxies: string[];
  logLevel: string;
  demo: boolean;
  /**
   * JSON file of the demo identity provider's users; undefined = the README's alice, bob and carol.
   */
  demoUsersFile: string | undefined;
  /** Request throttle of the entitlement API per client IP, or null when off. */
  throttle: ThrottleLimits | null;
  /** Rate limits of the domain protocol; each null when off. */
  domainLimits: DomainLimitsConfig;
  /** Wrong admin tokens per client address, or null when off. */
  adminAuthLimit: ThrottleLimits | null;
  accessTokenTtlS: number;
  /** Lifetime of the media tokens authorize decisions carry, seconds. */
  mediaTokenTtlS: number;
  /** Serve Prometheus metrics at /metrics and count every request (platform/metrics/). */
  metrics: boolean;
  /** The management listener's port (probes, metrics), or undefined = all on the public listener. */
  managementPort: number | undefined;
  managementHost: string;
  /** The admin API only on the management listener (needs a management port). */
  managementAdmin: boolean;
  /** Seconds requests in flight get to finish after SIGTERM or SIGINT. */
  shutdownGraceS: number;
  /** How long domain events are kept, seconds, or null = for ever. */
  domainEventRetentionS: number | null;
  /**
   * Bearer tokens of the license-server view (domains/routes/license-server-routes.ts), any of
   * which opens it (several while one is rotated); empty = none opens it.
   */
  licenseServerTokens: string[];
}

export interface ThrottleLimits {
  /** Tokens added per second. */
  ratePerS: number;
  /** Bucket size: the requests a new client may make at once. */
  burst: number;
}

/** Domain creations and new memberships, per machine GUID and per client address (docs/domain-server.md). */
export interface DomainLimitsConfig {
  createPerMachine: ThrottleLimits | null;
  createPerAddress: ThrottleLimits | null;
  joinPerMachine: ThrottleLimits | null;
  joinPerAddress: ThrottleLimits | null;
}

export interface PolicyDefaults {
  authRequired: boolean;
  maxMembership: number | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const dataDir = path.resolve(read('DOMUS_DATA_DIR') ?? './data');
  /** A rate limit whose default is `count` an hour after a burst of `burst`. */
  const perHour = (name: string, count: number, burst: number) =>
    rateLimit(name, read(name), { ratePerS: count / HOUR_S, burst });

  return {
    host: read('DOMUS_HOST') ?? '127.0.0.1',
    port: integer('DOMUS_PORT', read('DOMUS_PORT'), 8080, 0, 65535),
    publicUrl: publicUrl(read('DOMUS_PUBLIC_URL')),
    dataDir,
    database: databaseTarget(read('DOMUS_DATABASE_URL'), read('DOMUS_DATABASE_LISTEN_URL'), dataDir),
    dbPoolSize: integer('DOMUS_DB_POOL_SIZE', read('DOMUS_DB_POOL_SIZE'), 10, 1, 1000),
    cryptoWorkers: integer('DOMUS_CRYPTO_WORKERS', read('DOMUS_CRYPTO_WORKERS'), defaultCryptoWorkers(), 0, 64),
    autoMigrate: boolean('DOMUS_AUTO_MIGRATE', read('DOMUS_AUTO_MIGRATE'), true),
    masterKey: masterKey(read('DOMUS_MASTER_KEY')),
    adminToken: adminToken(read('DOMUS_ADMIN_TOKEN')),
    authIssuersFile: read('DOMUS_AUTH_ISSUERS_FILE'),
    machineIssuersFile: read('DOMUS_MACHINE_ISSUERS_FILE'),
    localIssuerId: read('DOMUS_LOCAL_ISSUER') ?? 'domus-local',
    indivIssuerId: read('DOMUS_INDIV_ISSUER') ?? 'domus-indiv',
    machineTokenTtlS: integer('DOMUS_MACHINE_TOKEN_TTL_S', read('DOMUS_MACHINE_TOKEN_TTL_S'), 315_360_000, 60),
    credentialLifetimeS: integer('DOMUS_CREDENTIAL_LIFETIME_S', read('DOMUS_CREDENTIAL_LIFETIME_S'), 2_592_000, 600),
    timestampToleranceS: integer('DOMUS_TIMESTAMP_TOLERANCE_S', read('DOMUS_TIMESTAMP_TOLERANCE_S'), 300, 1, 86_400),
    ...domainCaFiles(read('DOMUS_DOMAIN_CA_CERT_FILE'), read('DOMUS_DOMAIN_CA_KEY_FILE')),
    anonymousDefaults: {
      authRequired: boolean('DOMUS_ANON_AUTH_REQUIRED', read('DOMUS_ANON_AUTH_REQUIRED'), false),
      maxMembership: limit('DOMUS_ANON_MAX_MEMBERSHIP', read('DOMUS_ANON_MAX_MEMBERSHIP'), null),
    },
    identityDefaults: {
      authRequired: true,
      maxMembership: limit('DOMUS_IDENTITY_MAX_MEMBERSHIP', read('DOMUS_IDENTITY_MAX_MEMBERSHIP'), 5),
    },
    trustedProxies: (read('DOMUS_TRUSTED_PROXIES') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    logLevel: logLevel(read('DOMUS_LOG_LEVEL') ?? 'info'),
    demo: boolean('DOMUS_DEMO', read('DOMUS_DEMO'), read('DOMUS_DATABASE_URL') === undefined),
    demoUsersFile: read('DOMUS_DEMO_USERS_FILE'),
    throttle: rateLimit('DOMUS_THROTTLE', read('DOMUS_THROTTLE'), { ratePerS: 1, burst: 10 }),
    domainLimits: {
      createPerMachine: perHour('DOMUS_DOMAIN_CREATE_LIMIT_MACHINE', 1, 20),
      createPerAddress: perHour('DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS', 100, 200),
      joinPerMachine: perHour('DOMUS_DOMAIN_JOIN_LIMIT_MACHINE', 10, 50),
      joinPerAddress: perHour('DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS', 1000, 1000),
    },
    adminAuthLimit: rateLimit('DOMUS_ADMIN_AUTH_LIMIT', read('DOMUS_ADMIN_AUTH_LIMIT'), {
      ratePerS: 1 / 60,
      burst: 10,
    }),
    accessTokenTtlS: integer('DOMUS_ACCESS_TOKEN_TTL_S', read('DOMUS_ACCESS_TOKEN_TTL_S'), 21_600, 60, 30 * 86_400),
    mediaTokenTtlS: integer('DOMUS_MEDIA_TOKEN_TTL_S', read('DOMUS_MEDIA_TOKEN_TTL_S'), 420, 10, 86_400),
    metrics: boolean('DOMUS_METRICS', read('DOMUS_METRICS'), true),
    ...management(read('DOMUS_PORT'), read('DOMUS_MANAGEMENT_PORT'), read('DOMUS_MANAGEMENT_ADMIN')),
    managementHost: read('DOMUS_MANAGEMENT_HOST') ?? '127.0.0.1',
    shutdownGraceS: integer('DOMUS_SHUTDOWN_GRACE_S', read('DOMUS_SHUTDOWN_GRACE_S'), 20, 0, 3600),
    domainEventRetentionS: retention(
      'DOMUS_DOMAIN_EVENT_RETENTION',
      read('DOMUS_DOMAIN_EVENT_RETENTION'),
      90 * 24 * HOUR_S,
    ),
    licenseServerTokens: licenseServerTokens(read('DOMUS_LICENSE_SERVER_TOKEN')),
  };
}

/** The management listener's port and whether it alone serves the admin API. */
function management(publicPort: string | undefined, rawPort: string | undefined, rawAdmin: string | undefined) {
  const managementPort = rawPort === undefined ? undefined : integer('DOMUS_MANAGEMENT_PORT', rawPort, 0, 0, 65535);
  const managementAdmin = boolean('DOMUS_MANAGEMENT_ADMIN', rawAdmin, false);
  if (managementAdmin && managementPort === undefined) {
    throw new ConfigError('DOMUS_MANAGEMENT_ADMIN=true needs DOMUS_MANAGEMENT_PORT');
  }
  if (managementPort !== undefined && managementPort !== 0 && managementPort === Number(publicPort ?? 8080)) {
    throw new ConfigError('DOMUS_MANAGEMENT_PORT must differ from DOMUS_PORT');
  }
  return { managementPort, managementAdmin };
}

/** One core stays with the event loop. */
export function defaultCryptoWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function limit(name: string, raw: string | undefined, fallback: number | null): number | null {
  if (raw === undefined) return fallback;
  if (/^(none|unlimited)$/i.test(raw)) return null;
  return integer(name, raw, 0, 0);
}

const HOUR_S = 3600;
const PERIOD_S: Record<string, number> = { s: 1, min: 60, h: HOUR_S, d: 24 * HOUR_S };

/** A token-bucket limit: `off`, or `<count>/<s|min|h|d>,<burst>` (`count` per period after a burst of `burst`). */
function rateLimit(name: string, raw: string | undefined, fallback: ThrottleLimits): ThrottleLimits | null {
  if (raw === undefined) return fallback;
  if (/^off$/i.test(raw)) return null;
  const match = /^(\d+(?:\.\d+)?)\s*\/\s*(s|min|h|d)\s*,\s*(\d+)$/i.exec(raw);
  const count = Number(match?.[1]);
  const ratePerS = count / (PERIOD_S[match?.[2]?.toLowerCase() ?? ''] ?? Number.NaN);
  const burst = Number(match?.[3]);
  if (!match || !(ratePerS > 0) || ratePerS > 1_000_000 || burst < 1 || burst > 1_000_000) {
    throw new ConfigError(`${name} must be "off" or "<count>/<s|min|h|d>,<burst>" (e.g. "1/s,10"), got "${raw}"`);
  }
  return { ratePerS, burst };
}

/** A duration, `<n><s|min|h|d>` (e.g. `90d`), in seconds; `off` = null (kept for ever). */
function retention(name: string, raw: string | undefined, fallback: number): number | null {
  if (raw === undefined) return fallback;
  if (/^off$/i.test(raw)) return null;
  const match = /^(\d+)\s*(s|min|h|d)$/i.exec(raw);
  const seconds = Number(match?.[1]) * (PERIOD_S[match?.[2]?.toLowerCase() ?? ''] ?? Number.NaN);
  if (!match || !(seconds >= 1) || seconds > 100 * 365 * 24 * HOUR_S) {
    throw new ConfigError(
      `${name} must be "off" or "<count><s|min|h|d>" (e.g. "90d"), from 1 s to 100 years, got "${raw}"`,
    );
  }
  return seconds;
}

function publicUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`DOMUS_PUBLIC_URL must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('DOMUS_PUBLIC_URL must be an http or https URL');
  }
  if (url.search || url.hash) throw new ConfigError('DOMUS_PUBLIC_URL must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

function databaseTarget(raw: string | undefined, listenUrl: string | undefined, dataDir: string): DatabaseTarget {
  if (listenUrl !== undefined && !(raw !== undefined && POSTGRES_URL.test(raw) && POSTGRES_URL.test(listenUrl))) {
    throw new ConfigError(
      'DOMUS_DATABASE_LISTEN_URL must be a postgres:// URL, next to a PostgreSQL DOMUS_DATABASE_URL',
    );
  }
  if (raw === undefined) return { kind: 'sqlite', file: path.join(dataDir, 'domus.sqlite') };
  if (POSTGRES_URL.test(raw)) return { kind: 'postgres', url: raw, ...(listenUrl && { listenUrl }) };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new ConfigError('DOMUS_DATABASE_URL sqlite:<path> needs a path');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
  }
  throw new ConfigError('DOMUS_DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
}

function masterKey(raw: string | undefined): Buffer | undefined {
  if (raw === undefined) return undefined;
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('DOMUS_MASTER_KEY must be 32 bytes in base64');
  return key;
}

function adminToken(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length < 16) throw new ConfigError('DOMUS_ADMIN_TOKEN must be at least 16 characters');
  return raw;
}

/** A comma-separated list of tokens, each at least 16 characters (like DOMUS_ADMIN_TOKEN). */
function licenseServerTokens(raw: string | undefined): string[] {
  const tokens = (raw ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter(Boolean);
  if (tokens.some((token) => token.length < 16)) {
    throw new ConfigError('DOMUS_LICENSE_SERVER_TOKEN: each comma-separated token must be at least 16 characters');
  }
  return tokens;
}

function domainCaFiles(cert: string | undefined, key: string | undefined) {
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError('DOMUS_DOMAIN_CA_CERT_FILE and DOMUS_DOMAIN_CA_KEY_FILE go together');
  }
  return { domainCaCertFile: cert, domainCaKeyFile: key };
}

function logLevel(raw: string): string {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(raw)) throw new ConfigError(`DOMUS_LOG_LEVEL must be one of ${levels.join(', ')}`);
  return raw;
}
