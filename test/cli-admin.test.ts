/**
 * `domus admin` as an operator runs it: the real command, as a child process, against a real
 * server on every test database. What the command prints is checked against what the admin
 * API holds, read separately through the test's own client.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { domainRequest, individualize, post, protocolUrl } from './support/machines.js';
import { type CommandResult, childEnv, runDomus, stopAllChildren } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';

const BIN = fileURLToPath(new URL('../bin/domus.js', import.meta.url));

const mvpd = {
  displayName: 'Example Cable',
  logoUrl: 'https://cable.example/logo.png',
  protocol: 'oidc',
  connection: { kind: 'oidc', issuer: 'https://idp.cable.example', clientId: 'domus', clientSecret: 'cli-secret' },
  hasLogoutEndpoint: true,
  authnTtlS: 86_400,
  authzTtlS: 300,
  entitlementClaim: 'channels',
  authNamespace: 'cable.example',
};

/** `domus admin <args>` with `input` on its standard input. */
function runAdminWithInput(args: string[], env: Record<string, string>, input: string): Promise<CommandResult> {
  const child = spawn(process.execPath, [BIN, 'admin', ...args], { env: childEnv(env), stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

for (const kind of testDatabases()) {
  describe(`domus admin on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let work: string;
    /** Where the command finds the server and its token by default: DOMUS_PUBLIC_URL, DOMUS_DATA_DIR. */
    let env: Record<string, string>;

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database);
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-cli-admin-'));
      env = { DOMUS_PUBLIC_URL: server.url, DOMUS_DATA_DIR: server.dataDir };
    });
    after(async () => {
      await stopAllChildren();
      await server?.close();
      await database?.drop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const check = (result: CommandResult) => {
      assert.equal(result.stdout.includes(server.adminToken), false, 'the token is never printed');
      assert.equal(result.stderr.includes(server.adminToken), false, 'the token is never printed');
      return result;
    };
    /** Runs `domus admin …`; `expected` is the exit code it must end with. */
    const admin = async (args: string[], expected = 0, extraEnv: Record<string, string> = {}) => {
      const result = check(await runDomus(['admin', ...args], { ...env, ...extraEnv }));
      assert.equal(result.code, expected, `domus admin ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
      return result;
    };
    /** Runs a command that must succeed and print JSON; answers that JSON. */
    const json = async (args: string[], extraEnv: Record<string, string> = {}) => {
      const result = await admin(args, 0, extraEnv);
      return JSON.parse(result.stdout);
    };
    const file = (name: string, content: unknown) => {
      const target = path.join(work, name);
      fs.writeFileSync(target, typeof content === 'string' ? content : JSON.stringify(content));
      return target;
    };

    it('creates, reads, lists, updates and deletes service providers', async () => {
      assert.deepEqual(await json(['service-providers', 'put', 'REF30', '--display-name', 'Ref']), {
        id: 'REF30',
        displayName: 'Ref',
      });
      await json(['service-providers', 'put', 'REF30', '--display-name', 'Reference Channel']);
      assert.equal((await server.admin('GET', '/service-providers/REF30')).body.displayName, 'Reference Channel');
      assert.deepEqual(await json(['service-providers', 'get', 'REF30']), {
        id: 'REF30',
        displayName: 'Reference Channel',
      });
      assert.deepEqual(
        await json(['service-providers', 'list']),
        (await server.admin('GET', '/service-providers')).body,
      );
      await json(['service-providers', 'put', 'Gone', '--display-name', 'To be deleted']);
      const deleted = await admin(['service-providers', 'delete', 'Gone']);
      assert.equal(deleted.stdout, '');
      assert.equal((await server.admin('GET', '/service-providers/Gone')).status, 404);
      const missing = await admin(['service-providers', 'get', 'Gone'], 1);
      assert.equal(missing.stdout, '');
      assert.match(missing.stderr, /HTTP 404 not_found: no such service provider/);
    });

    it('puts MVPDs from a file and from standard input, never answering their secret', async () => {
      const created = await json(['mvpds', 'put', 'ExampleCable', '--file', file('mvpd.json', mvpd)]);
      assert.equal(created.id, 'ExampleCable');
      assert.equal(created.connection.clientId, 'domus');
      const stored = (await server.domus.entitlements.store.mvpd('ExampleCable'))?.connection;
      assert.equal(stored?.kind === 'oidc' && stored.clientSecret, 'cli-secret');
      const piped = check(
        await runAdminWithInput(
          ['mvpds', 'put', 'ExampleCable', '--file', '-'],
          env,
          JSON.stringify({ ...mvpd, authzTtlS: 600 }),
        ),
      );
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(JSON.parse(piped.stdout).authzTtlS, 600);
      const read = await admin(['mvpds', 'get', 'ExampleCable']);
      assert.equal(read.stdout.includes('cli-secret'), false);
      assert.deepEqual(JSON.parse(read.stdout), (await server.admin('GET', '/mvpds/ExampleCable')).body);
      assert.deepEqual(
        (await json(['mvpds', 'list'])).items.map((item: { id: string }) => item.id),
        ['ExampleCable'],
      );
      await json(['mvpds', 'put', 'Doomed', '--file', file('doomed.json', { ...mvpd, displayName: 'Doomed' })]);
      await admin(['mvpds', 'delete', 'Doomed']);
      assert.equal((await server.admin('GET', '/mvpds/Doomed')).status, 404);
    });

    it('passes the server’s validation errors on: exit 1, its message on stderr, nothing changed', async () => {
      const providersBefore = (await server.admin('GET', '/service-providers')).body;
      const refused = await admin(['service-providers', 'put', 'REF30', '--display-name', ''], 1);
      const expected = await server.admin('PUT', '/service-providers/REF30', { displayName: '' });
      assert.equal(expected.status, 400);
      assert.equal(refused.stdout, '');
      assert.ok(
        refused.stderr.includes(`HTTP 400 invalid_request: ${expected.body.error.message}`),
        `stderr: ${refused.stderr}`,
      );
      assert.deepEqual((await server.admin('GET', '/service-providers')).body, providersBefore);

      const mvpdBefore = (await server.admin('GET', '/mvpds/ExampleCable')).body;
      const badMvpd = await admin(
        ['mvpds', 'put', 'ExampleCable', '--file', file('bad.json', { ...mvpd, authnTtlS: 1 })],
        1,
      );
      assert.match(badMvpd.stderr, /HTTP 400 invalid_request: .*authnTtlS/);
      assert.deepEqual((await server.admin('GET', '/mvpds/ExampleCable')).body, mvpdBefore);

      const badApp = await admin(
        ['applications', 'create', '--name', 'App', '--service-provider', 'NoSuchSp', '--redirect-domain', 'a.example'],
        1,
      );
      assert.match(badApp.stderr, /HTTP 400 invalid_request: no such service provider: NoSuchSp/);
      assert.deepEqual((await server.admin('GET', '/applications')).body.items, []);
    });

    it('links service providers and MVPDs through integrations', async () => {
      assert.deepEqual(await json(['integrations', 'put', 'REF30', 'ExampleCable', '--active', 'true']), {
        serviceProviderId: 'REF30',
        mvpdId: 'ExampleCable',
        active: true,
      });
      await json(['integrations', 'put', 'REF30', 'ExampleCable', '--active', 'false']);
      assert.equal((await json(['integrations', 'get', 'REF30', 'ExampleCable'])).active, false);
      assert.equal((await server.admin('GET', '/integrations/REF30/ExampleCable')).body.active, false);
      assert.deepEqual((await json(['integrations', 'list', '--service-provider', 'REF30'])).items, [
        { serviceProviderId: 'REF30', mvpdId: 'ExampleCable', active: false },
      ]);
      assert.deepEqual((await json(['integrations', 'list', '--service-provider', 'Nobody'])).items, []);
      const unknown = await admin(['integrations', 'put', 'REF30', 'NoSuchMvpd', '--active', 'true'], 1);
      assert.match(unknown.stderr, /HTTP 404 not_found: no such MVPD/);
      await admin(['integrations', 'delete', 'REF30', 'ExampleCable']);
      assert.equal((await server.admin('GET', '/integrations/REF30/ExampleCable')).status, 404);
      await admin(['integrations', 'delete', 'REF30', 'ExampleCable'], 1);
    });

    it('registers applications and hands out and rotates their software statements', async () => {
      const created = await json([
        'applications',
        'create',
        '--name',
        'Reference app',
        '--service-provider',
        'REF30',
        '--redirect-domain',
        'app.example',
        '--redirect-domain',
        '*.app.example',
      ]);
      assert.deepEqual(created.redirectDomains, ['app.example', '*.app.example']);
      assert.deepEqual(created.scopes, ['api:client:v2']);
      const id: string = created.id;
      assert.deepEqual(await json(['applications', 'get', id]), created);
      assert.deepEqual(
        (await json(['applications', 'list'])).items.map((item: { id: string }) => item.id),
        [id],
      );
      const replaced = await json([
        'applications',
        'put',
        id,
        '--file',
        file('app.json', { name: 'Renamed', serviceProviders: ['REF30'], redirectDomains: ['other.example'] }),
      ]);
      assert.equal(replaced.name, 'Renamed');
      assert.equal((await server.admin('GET', `/applications/${id}`)).body.name, 'Renamed');

      const statement: string = (await json(['applications', 'software-statement', id])).software_statement;
      assert.equal((await server.domus.entitlements.statements.verify(statement)).applicationId, id);
      const again: string = (await json(['applications', 'software-statement', id])).software_statement;
      assert.equal(decodeJwt(again).jti, decodeJwt(statement).jti, 'reading the statement does not replace it');
      const rotated: string = (await json(['applications', 'software-statement', id, '--rotate'])).software_statement;
      assert.notEqual(decodeJwt(rotated).jti, decodeJwt(statement).jti);
      assert.equal((await server.domus.entitlements.store.application(id))?.statementId, decodeJwt(rotated).jti);

      await admin(['applications', 'delete', id]);
      assert.equal((await server.admin('GET', `/applications/${id}`)).status, 404);
      assert.match((await admin(['applications', 'software-statement', id], 1)).stderr, /HTTP 404 not_found/);
    });

    it('sets domain policies and lists domains, following the cursor or one page at a time', async () => {
      const names = ['cli-a', 'cli-b', 'cli-c', 'cli-d', 'cli-e'];
      for (const name of names) await json(['domains', 'put', 'anonymous', name]);
      const limited = await json([
        'domains',
        'put',
        'anonymous',
        'cli-a',
        '--max-membership',
        '3',
        '--disabled',
        'true',
      ]);
      assert.deepEqual(limited.policy, {
        authRequired: false,
        authNamespace: null,
        maxMembership: 3,
        disabled: true,
        removalLimit: null,
        evictAfterSeconds: null,
        keyRetentionSeconds: null,
      });
      const fromFile = await json([
        'domains',
        'put',
        'anonymous',
        'cli-a',
        '--file',
        file('policy.json', { maxMembership: null, disabled: false }),
      ]);
      assert.deepEqual(fromFile.policy, {
        authRequired: false,
        authNamespace: null,
        maxMembership: null,
        disabled: false,
        removalLimit: null,
        evictAfterSeconds: null,
        keyRetentionSeconds: null,
      });
      const identity = await json([
        'domains',
        'put',
        'identity',
        'cable.example:household-1',
        '--auth-namespace',
        'cable.example',
      ]);
      assert.equal(identity.name, 'cable.example:household-1');
      assert.equal(
        (await json(['domains', 'get', 'identity', 'cable.example:household-1'])).policy.authNamespace,
        'cable.example',
      );

      const everything = await json(['domains', 'list', '--mode', 'anonymous', '--page-size', '2']);
      assert.deepEqual(
        everything.items.map((item: { name: string }) => item.name),
        names,
      );
      assert.equal(everything.nextCursor, null);
      const first = await json(['domains', 'list', '--q', 'cli-', '--limit', '2']);
      assert.deepEqual(
        first.items.map((item: { name: string }) => item.name),
        ['cli-a', 'cli-b'],
      );
      assert.equal(typeof first.nextCursor, 'string');
      const second = await json(['domains', 'list', '--q', 'cli-', '--limit', '2', '--cursor', first.nextCursor]);
      assert.deepEqual(
        second.items.map((item: { name: string }) => item.name),
        ['cli-c', 'cli-d'],
      );
      assert.deepEqual(
        (await json(['domains', 'list', '--mode', 'identity'])).items.map((item: { name: string }) => item.name),
        ['cable.example:household-1'],
      );
    });

    it('lists and removes domain members and forces a key rollover', async () => {
      const machine = await individualize(server.url);
      const joined = await post(protocolUrl(server.url, 'join', { anonymous: 'cli-b' }), domainRequest(machine));
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      const members = await json(['domains', 'members', 'anonymous', 'cli-b']);
      assert.deepEqual(
        members.items.map((item: { guid: string }) => item.guid),
        [machine.guid],
      );
      assert.equal(members.nextCursor, null);
      assert.deepEqual(await json(['domains', 'remove-member', 'anonymous', 'cli-b', machine.guid]), {
        removed: true,
        machineReleased: true,
      });
      const removed = await json(['domains', 'get', 'anonymous', 'cli-b']);
      assert.equal(removed.members, 0);
      assert.equal(removed.keyRolloverRequired, true);
      await admin(['domains', 'remove-member', 'anonymous', 'cli-b', machine.guid], 1);

      assert.equal((await json(['domains', 'get', 'anonymous', 'cli-c'])).keyRolloverRequired, false);
      assert.equal((await json(['domains', 'rollover', 'anonymous', 'cli-c'])).keyRolloverRequired, true);
      assert.equal((await server.admin('GET', '/domains/anonymous/cli-c')).body.keyRolloverRequired, true);
    });

    it('prints the events of a domain, newest first, as the admin API holds them', async () => {
      const machine = await individualize(server.url);
      const joined = await post(protocolUrl(server.url, 'join', { anonymous: 'cli-events' }), domainRequest(machine));
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await json(['domains', 'rollover', 'anonymous', 'cli-events']);
      const printed = await json(['domains', 'events', 'anonymous', 'cli-events']);
      assert.deepEqual(
        printed.items.map((event: { kind: string }) => event.kind),
        ['rollover_requested', 'joined', 'created'],
      );
      assert.deepEqual(printed.items, (await server.admin('GET', '/domains/anonymous/cli-events/events')).body.items);
      const page = await json(['domains', 'events', 'anonymous', 'cli-events', '--limit', '1']);
      assert.equal(page.items[0].kind, 'rollover_requested');
      assert.equal(typeof page.nextCursor, 'string');
      await admin(['domains', 'events', 'anonymous', 'no-such-domain'], 1);
    });

    it("sets and clears the console's operator password from standard input, never from the command line", async () => {
      assert.deepEqual(await json(['console', 'password']), { set: false });
      const set = await runAdminWithInput(
        ['console', 'set-password', '--file', '-'],
        env,
        '{"password":"a console passphrase"}',
      );
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { set: true });
      assert.equal(set.stdout.includes('a console passphrase'), false);
      const signIn = await fetch(`${server.url}/console/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'credential=a+console+passphrase',
        redirect: 'manual',
      });
      assert.equal(signIn.status, 303);
      const short = await runAdminWithInput(['console', 'set-password', '--file', '-'], env, '{"password":"short"}');
      assert.equal(short.code, 1);
      assert.match(short.stderr, /password/);
      assert.deepEqual(await json(['console', 'clear-password']), { set: false });
      assert.deepEqual(await json(['console', 'password']), { set: false });
      await admin(['console', 'set-password'], 2);
    });

    it('refuses bad usage with exit code 2 and the usage, sending nothing', async () => {
      const before = {
        integrations: (await server.admin('GET', '/integrations')).body,
        domains: (await server.admin('GET', '/domains?limit=500')).body,
      };
      for (const args of [
        ['no-such-resource', 'list'],
        ['mvpds'],
        ['mvpds', 'frobnicate'],
        ['mvpds', 'get'],
        ['mvpds', 'get', 'A', 'B'],
        ['mvpds', 'put', 'X'],
        ['mvpds', 'get', 'X', '--display-name', 'Y'],
        ['mvpds', 'list', '--no-such-option'],
        ['integrations', 'put', 'REF30', 'ExampleCable', '--active', 'maybe'],
        ['integrations', 'put', 'REF30', 'ExampleCable'],
        ['domains', 'put', 'anonymous', 'cli-zz', '--max-membership', 'lots'],
        ['domains', 'list', '--page-size', '2', '--limit', '2'],
        ['applications', 'create', '--file', file('unused.json', {}), '--name', 'A'],
        ['mvpds', 'put', 'X', '--file', file('broken.json', '{ not json')],
        ['mvpds', 'put', 'X', '--file', path.join(work, 'no-such-file.json')],
        ['--url', 'ftp://example', 'mvpds', 'list'],
      ]) {
        const result = await admin(args, 2);
        assert.equal(result.stdout, '', args.join(' '));
        assert.match(result.stderr, /^domus admin: .+\nusage: domus admin /, args.join(' '));
      }
      assert.deepEqual((await server.admin('GET', '/integrations')).body, before.integrations);
      assert.deepEqual((await server.admin('GET', '/domains?limit=500')).body, before.domains);
      const help = await admin(['help']);
      assert.match(help.stdout, /^usage: domus admin /);
      assert.match(help.stdout, /applications software-statement <id> \[--rotate\]/);
    });

    it('finds the server and token in --url, --token-file, DOMUS_ADMIN_TOKEN and DOMUS_PORT', async () => {
      const tokenFile = file('token', `${server.adminToken}\n`);
      const bare = { DOMUS_DATA_DIR: path.join(work, 'empty') };
      const listed = await admin(['--url', server.url, '--token-file', tokenFile, 'service-providers', 'list'], 0);
      assert.deepEqual(JSON.parse(listed.stdout), (await server.admin('GET', '/service-providers')).body);
      const port = new URL(server.url).port;
      await json(['service-providers', 'get', 'REF30'], {
        ...bare,
        DOMUS_PUBLIC_URL: '',
        DOMUS_PORT: port,
        DOMUS_ADMIN_TOKEN: server.adminToken,
      });
    });

    it('says where it looked when there is no admin token, and never makes one', async () => {
      const empty = path.join(work, 'no-token-here');
      fs.mkdirSync(empty);
      const result = await admin(['mvpds', 'list'], 1, { DOMUS_DATA_DIR: empty });
      assert.equal(result.stdout, '');
      assert.ok(result.stderr.includes(path.join(empty, 'admin-token')), result.stderr);
      assert.match(result.stderr, /DOMUS_ADMIN_TOKEN/);
      assert.deepEqual(fs.readdirSync(empty), []);

      const missingFile = await admin(['--token-file', path.join(empty, 'nope'), 'mvpds', 'list'], 1);
      assert.ok(missingFile.stderr.includes(path.join(empty, 'nope')), missingFile.stderr);

      const wrong = await admin(['mvpds', 'list'], 1, { DOMUS_ADMIN_TOKEN: 'not-the-admin-token-at-all' });
      assert.match(wrong.stderr, /HTTP 401 unauthorized: .*\(token from DOMUS_ADMIN_TOKEN\)/);
      assert.equal(wrong.stderr.includes('not-the-admin-token-at-all'), false);

      const unreachable = await admin(['--url', 'http://127.0.0.1:9', 'mvpds', 'list'], 1);
      assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    });
  });
}
