import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';
import { OPTIONS } from './config-options.js';

describe('configuration', () => {
  it('has safe embedded defaults', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, undefined);
    assert.deepEqual(config.database, { kind: 'sqlite', file: path.resolve('data/domus.sqlite') });
    assert.equal(config.timestampToleranceS, 300);
    assert.deepEqual(config.anonymousDefaults, { authRequired: false, maxMembership: null });
    assert.deepEqual(config.identityDefaults, { authRequired: true, maxMembership: 5 });
    assert.equal(config.credentialLifetimeS, 30 * 24 * 3600);
    assert.deepEqual(config.throttle, { ratePerS: 1, burst: 10 });
    assert.equal(config.accessTokenTtlS, 21_600);
    assert.deepEqual(config.domainLimits, {
      createPerMachine: { ratePerS: 1 / 3600, burst: 20 },
      createPerAddress: { ratePerS: 100 / 3600, burst: 200 },
      joinPerMachine: { ratePerS: 10 / 3600, burst: 50 },
      joinPerAddress: { ratePerS: 1000 / 3600, burst: 1000 },
    });
    assert.deepEqual(config.adminAuthLimit, { ratePerS: 1 / 60, burst: 10 });
  });

  it('reads the throttle limits', () => {
    assert.deepEqual(loadConfig({ DOMUS_THROTTLE: '0.5/s, 20' }).throttle, { ratePerS: 0.5, burst: 20 });
    assert.equal(loadConfig({ DOMUS_THROTTLE: 'off' }).throttle, null);
    for (const bad of ['1/m,10', '0/s,10', '1/s,0', '1/s', 'fast']) {
      assert.throws(() => loadConfig({ DOMUS_THROTTLE: bad }), /DOMUS_THROTTLE/, bad);
    }
  });

  it('reads the rate limits of the domain protocol and the admin API, in any period (issue 9)', () => {
    const config = loadConfig({
      DOMUS_DOMAIN_CREATE_LIMIT_MACHINE: '3/d,5',
      DOMUS_DOMAIN_CREATE_LIMIT_ADDRESS: 'off',
      DOMUS_DOMAIN_JOIN_LIMIT_MACHINE: '2/min, 4',
      DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS: '0.5/s,100',
      DOMUS_ADMIN_AUTH_LIMIT: 'OFF',
    });
    assert.deepEqual(config.domainLimits, {
      createPerMachine: { ratePerS: 3 / 86_400, burst: 5 },
      createPerAddress: null,
      joinPerMachine: { ratePerS: 2 / 60, burst: 4 },
      joinPerAddress: { ratePerS: 0.5, burst: 100 },
    });
    assert.equal(config.adminAuthLimit, null);
    assert.deepEqual(loadConfig({ DOMUS_THROTTLE: '60/min,5' }).throttle, { ratePerS: 1, burst: 5 });
    for (const name of [
      'DOMUS_DOMAIN_CREATE_LIMIT_MACHINE',
      'DOMUS_DOMAIN_JOIN_LIMIT_ADDRESS',
      'DOMUS_ADMIN_AUTH_LIMIT',
    ]) {
      for (const bad of ['1/w,10', '1/h', '0/h,1', '1/h,0', 'none']) {
        assert.throws(
          () => loadConfig({ [name]: bad }),
          (error: Error) => error.message.includes(name),
          bad,
        );
      }
    }
  });

  it('reads every option', () => {
    const config = loadConfig({
      DOMUS_PORT: '0',
      DOMUS_PUBLIC_URL: 'https://drm.example.com/',
      DOMUS_DATABASE_URL: 'postgres://u@h/db',
      DOMUS_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      DOMUS_ANON_MAX_MEMBERSHIP: '100',
      DOMUS_IDENTITY_MAX_MEMBERSHIP: 'none',
      DOMUS_AUTO_MIGRATE: 'false',
      DOMUS_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16',
    });
    assert.equal(config.port, 0);
    assert.equal(config.publicUrl, 'https://drm.example.com');
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u@h/db' });
    assert.equal(config.masterKey?.length, 32);
    assert.equal(config.anonymousDefaults.maxMembership, 100);
    assert.equal(config.identityDefaults.maxMembership, null);
    assert.equal(config.autoMigrate, false);
    assert.deepEqual(config.trustedProxies, ['10.0.0.1', '192.168.0.0/16']);
    const pooled = loadConfig({
      DOMUS_DATABASE_URL: 'postgres://u@pooler/db',
      DOMUS_DATABASE_LISTEN_URL: 'postgresql://u@primary/db',
    });
    assert.deepEqual(pooled.database, {
      kind: 'postgres',
      url: 'postgres://u@pooler/db',
      listenUrl: 'postgresql://u@primary/db',
    });
  });

  it('refuses bad values with the variable named', () => {
    const bad: Record<string, string> = {
      DOMUS_PORT: '70000',
      DOMUS_PUBLIC_URL: 'ftp://x',
      DOMUS_DATABASE_URL: 'mysql://x',
      DOMUS_MASTER_KEY: 'c2hvcnQ=',
      DOMUS_ADMIN_TOKEN: 'short',
      DOMUS_TIMESTAMP_TOLERANCE_S: '-1',
      DOMUS_AUTO_MIGRATE: 'maybe',
      DOMUS_LOG_LEVEL: 'loud',
      DOMUS_DOMAIN_CA_CERT_FILE: '/only/the/cert.pem',
      DOMUS_THROTTLE: '10/s',
      DOMUS_ACCESS_TOKEN_TTL_S: '10',
      // Only next to a PostgreSQL DOMUS_DATABASE_URL (the default is SQLite).
      DOMUS_DATABASE_LISTEN_URL: 'postgres://u@primary/db',
    };
    for (const [name, value] of Object.entries(bad)) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: Error) => error instanceof ConfigError && error.message.includes(name),
      );
    }
  });

  it('reads the management listener and the shutdown grace period (issue 10)', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.managementPort, undefined);
    assert.equal(defaults.managementHost, '127.0.0.1');
    assert.equal(defaults.managementAdmin, false);
    assert.equal(defaults.shutdownGraceS, 20);
    const config = loadConfig({
      DOMUS_MANAGEMENT_PORT: '9000',
      DOMUS_MANAGEMENT_HOST: '0.0.0.0',
      DOMUS_MANAGEMENT_ADMIN: 'true',
      DOMUS_SHUTDOWN_GRACE_S: '0',
    });
    assert.equal(config.managementPort, 9000);
    assert.equal(config.managementHost, '0.0.0.0');
    assert.equal(config.managementAdmin, true);
    assert.equal(config.shutdownGraceS, 0);
    assert.throws(() => loadConfig({ DOMUS_MANAGEMENT_ADMIN: 'true' }), /needs DOMUS_MANAGEMENT_PORT/);
    assert.throws(() => loadConfig({ DOMUS_MANAGEMENT_PORT: '8080' }), /must differ from DOMUS_PORT/);
    assert.throws(() => loadConfig({ DOMUS_MANAGEMENT_PORT: '70000' }), /DOMUS_MANAGEMENT_PORT/);
    assert.throws(() => loadConfig({ DOMUS_SHUTDOWN_GRACE_S: '-1' }), /DOMUS_SHUTDOWN_GRACE_S/);
  });

  it('documents every option in the README configuration table', () => {
    const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
    for (const option of OPTIONS) assert.match(readme, new RegExp(`\\|\\s*\`${option.env}\`\\s*\\|`), option.env);
    const source = fs.readFileSync(new URL('./config.ts', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/(?:read|perHour)\('(DOMUS_[A-Z_]+)'/g)].map((m) => m[1]));
    assert.deepEqual([...read].sort(), OPTIONS.map((o) => o.env).sort());
  });
});
