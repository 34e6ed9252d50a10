/**
 * The one configuration object, read from environment variables once at startup.
 *
 * Every option is declared in `OPTIONS` with its variable, default and meaning; the README's
 * configuration table is checked against this list by a test, so the two cannot drift.
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

interface Option {
  env: string;
  default: string;
  doc: string;
}

/** Documentation of every option, in README order. */
export const OPTIONS: readonly Option[] = [
  { env: 'DOMUS_HOST', default: '127.0.0.1', doc: 'listen address' },
  { env: 'DOMUS_PORT', default: '8080', doc: 'listen port (`0` = any free port; the chosen port is logged)' },
  {
    env: 'DOMUS_PUBLIC_URL',
    default: 'http://localhost:{port}',
    doc: 'public root used in URLs the server hands out (domain server URL, certificates)',
  },
  {
    env: 'DOMUS_DATA_DIR',
    default: './data',
    doc: 'where the embedded database, the master key and generated secrets live',
  },
  {
    env: 'DOMUS_DATABASE_URL',
    default: 'SQLite file `domus.sqlite` in the data dir',
    doc: '`postgres://…` selects PostgreSQL; `sqlite:<path>` an SQLite file',
  },
  {
    env: 'DOMUS_DATABASE_LISTEN_URL',
    default: '`DOMUS_DATABASE_URL`',
    doc: 'direct PostgreSQL session for the change listener of the caches, if `DOMUS_DATABASE_URL` is a pooler',
  },
  { env: 'DOMUS_DB_POOL_SIZE', default: '10', doc: 'PostgreSQL connections per process' },
  {
    env: 'DOMUS_CRYPTO_WORKERS',
    default: 'CPU cores − 1 (at least 1)',
    doc: 'worker threads for the public-key work of domain requests and media tokens; `0` = in the event loop',
  },
  {
    env: 'DOMUS_AUTO_MIGRATE',
    default: 'true',
    doc: 'apply pending migrations on start; `false` = refuse to start while any is pending',
  },
  {
    env: 'DOMUS_MASTER_KEY',
    default: 'generated into `master.key` in the data dir',
    doc: '32 bytes, base64: encrypts every stored private key. Set it when several processes share one database',
  },
  {
    env: 'DOMUS_ADMIN_TOKEN',
    default: 'generated into `admin-token` in the data dir, printed on first start',
    doc: 'bearer token of the admin API',
  },
  {
    env: 'DOMUS_AUTH_ISSUERS_FILE',
    default: 'none',
    doc: 'JSON `{ "<issuer id>": { "keys": [<public JWK>, …] } }`: extra trusted auth-token issuers',
  },
  {
    env: 'DOMUS_MACHINE_ISSUERS_FILE',
    default: 'none',
    doc: 'same shape: extra trusted machine-token (individualization) issuers, EC P-256 keys',
  },
  { env: 'DOMUS_LOCAL_ISSUER', default: 'domus-local', doc: 'issuer id of the tokens `domus token mint` signs' },
  { env: 'DOMUS_INDIV_ISSUER', default: 'domus-indiv', doc: 'issuer id of the machine tokens this server issues' },
  { env: 'DOMUS_MACHINE_TOKEN_TTL_S', default: '315360000', doc: 'machine token lifetime (10 years)' },
  { env: 'DOMUS_CREDENTIAL_LIFETIME_S', default: '2592000', doc: 'domain certificate lifetime (30 days)' },
  { env: 'DOMUS_TIMESTAMP_TOLERANCE_S', default: '300', doc: 'domain request timestamp tolerance' },
  {
    env: 'DOMUS_DOMAIN_CA_CERT_FILE',
    default: 'none (CA generated on first start)',
    doc: 'PEM certificate of an existing Domain CA (with `DOMUS_DOMAIN_CA_KEY_FILE`)',
  },
  { env: 'DOMUS_DOMAIN_CA_KEY_FILE', default: 'none', doc: 'PEM PKCS#8 private key (EC P-256) of that Domain CA' },
  { env: 'DOMUS_ANON_AUTH_REQUIRED', default: 'false', doc: 'policy default of new anonymous domains' },
  {
    env: 'DOMUS_ANON_MAX_MEMBERSHIP',
    default: 'none',
    doc: 'policy default of new anonymous domains (`none` = unlimited)',
  },
  { env: 'DOMUS_IDENTITY_MAX_MEMBERSHIP', default: '5', doc: 'policy default of new identity-based domains' },
  {
    env: 'DOMUS_TRUSTED_PROXIES',
    default: 'none',
    doc: 'comma-separated addresses/CIDRs whose `X-Forwarded-For` is believed',
  },
  { env: 'DOMUS_LOG_LEVEL', default: 'info', doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`' },
  {
    env: 'DOMUS_DEMO',
    default: '`true` on the embedded default, else `false`',
    doc: 'seed the demo data (see "Sign in with a demo MVPD") into an empty database',
  },
  {
    env: 'DOMUS_DEMO_USERS_FILE',
    default: 'alice, bob and carol (see "Sign in with a demo MVPD")',
    doc: 'users of the built-in demo MVPDs: JSON `[{ user, password, userID, householdID, channels }]`',
  },
  {
    env: 'DOMUS_THROTTLE',
    default: "`1/s,10` (Adobe's: 1 request/s after a burst of 10)",
    doc: 'entitlement API requests per client IP: `off` or `<n>/<period>,<burst>` (period `s`, `min`, `h`, `d`)',
  },
  {
    env: 'DOMUS_DOMAIN_CREATE_LIMIT_MACHINE',
    default: '`1/h,20`',
    doc: 'domains one machine GUID may create (by the first join of a new domain); same syntax',
  },
  {
    env: 'DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS',
    default: '`100/h,200`',
    doc: 'domains one client address (IPv6: its /64) may create; same syntax',
  },
  {
    env: 'DOMUS_DOMAIN_JOIN_LIMIT_MACHINE',
    default: '`10/h,50`',
    doc: 'joins that add a membership, per machine GUID (a member re-joining is not counted); same syntax',
  },
  {
    env: 'DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS',
    default: '`1000/h,1000`',
    doc: 'joins that add a membership, per client address; same syntax',
  },
  {
    env: 'DOMUS_ADMIN_AUTH_LIMIT',
    default: '`1/min,10`',
    doc: 'wrong admin tokens per client address; past it the address gets 429 on the admin API; same syntax',
  },
  {
    env: 'DOMUS_ACCESS_TOKEN_TTL_S',
    default: '21600',
    doc: 'lifetime of the access tokens `/o/client/token` issues (6 h)',
  },
  {
    env: 'DOMUS_MEDIA_TOKEN_TTL_S',
    default: '420',
    doc: 'lifetime of the media tokens authorize decisions carry (7 min, as Adobe)',
  },
  {
    env: 'DOMUS_METRICS',
    default: 'true',
    doc: '`false` = no `GET /metrics` and no request timing (Prometheus metrics: docs/running.md)',
  },
  {
    env: 'DOMUS_MANAGEMENT_PORT',
    default: 'none (everything on `DOMUS_PORT`)',
    doc: 'own listener for `/healthz`, `/readyz` and `/metrics`, off the public one (docs/running.md)',
  },
  { env: 'DOMUS_MANAGEMENT_HOST', default: '127.0.0.1', doc: 'listen address of the management listener' },
  {
    env: 'DOMUS_MANAGEMENT_ADMIN',
    default: 'false',
    doc: '`true` = the admin API (`/admin/v1`) too is served only on the management listener',
  },
  {
    env: 'DOMUS_SHUTDOWN_GRACE_S',
    default: '20',
    doc: 'after SIGTERM or SIGINT: how long requests in flight may take before their connections are cut',
  },
  {
    env: 'DOMUS_DOMAIN_EVENT_RETENTION',
    default: '`90d`',
    doc: 'how long domain events are kept: `<n><s|min|h|d>`, or `off` = for ever (docs/domain-server.md, "Events")',
  },
];

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
