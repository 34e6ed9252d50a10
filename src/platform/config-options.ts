/**
 * Every configuration option as the operator sees it: its variable, default and meaning, in
 * README order. config.ts reads them; a test checks the README's configuration table against
 * this list, so the two cannot drift.
 */

export interface Option {
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
    doc: 'how long domain events (and removed machines\' `DOM_NOT_MEMBER` marks) are kept: `<n><s|min|h|d>`, or `off` = for ever (docs/domain-server.md, "Events")',
  },
  {
    env: 'DOMUS_LICENSE_SERVER_TOKEN',
    default: 'none (the license-server view answers 401)',
    doc: 'license-server view bearer tokens (docs/license-servers.md): comma-separated, each ≥ 16 characters',
  },
];
