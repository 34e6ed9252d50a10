/**
 * The domain server's rules where issue 9 found them loose or untested (docs/domain-server.md), on
 * every database: identity domain names that no two identities share, anonymous names that are
 * never a dot-segment, an auth token consulted only where authentication is required, machine IDs
 * compared on every identity re-join, and the order of refusals.
 */
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { simulatedComponents } from '../src/device/hardware.js';
import { signEs256 } from '../src/platform/crypto/es256.js';
import { newP256KeyPair } from '../src/platform/crypto/p256.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import {
  domainRequest,
  individualize,
  messageId,
  nowSeconds,
  post,
  protocolUrl,
  type RequestFields,
  type TestMachine,
} from './support/machines.js';
import type { TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';
import { publicJwk, startServerTrusting } from './support/trusted-issuers.js';

const MACHINE_ISSUER = 'second-machine-issuer';
const AUTH_ISSUER = 'rules-auth-issuer';

type Target = { anonymous?: string };

/** A raw HTTP request, so that dot-segments reach the server as sent (fetch would resolve them). */
function rawRequest(
  url: string,
  method: string,
  rawPath: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, method, path: rawPath, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

for (const kind of testDatabases()) {
  describe(`domain rules of issue 9 on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    const machineIssuerKey = newP256KeyPair();
    const authIssuerKey = newP256KeyPair();

    before(async () => {
      db = await kind.create();
      server = await startServerTrusting(db, {
        machine: { id: MACHINE_ISSUER, key: machineIssuerKey.publicKey },
        auth: { id: AUTH_ISSUER, key: authIssuerKey.publicKey },
      });
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    const newMachine = (components?: string[]) => individualize(server.url, components);
    const joinUrl = (target: Target) => protocolUrl(server.url, 'join', target);
    const leaveUrl = (target: Target) => protocolUrl(server.url, 'leave', target);
    const leaveRequest = (machine: TestMachine, phase: string, fields: RequestFields = {}) =>
      domainRequest(machine, { op: 'leave', phase, ...fields });

    /** An auth token of the extra trusted issuer (or signed by `key`), with any nq and sub. */
    function authToken(
      claims: { iss?: string; sub?: string; nq?: string; exp?: number } = {},
      key: KeyObject = authIssuerKey.privateKey,
    ): Promise<string> {
      const { iss = AUTH_ISSUER, sub = 'someone', nq = 'tve', exp = nowSeconds() + 600 } = claims;
      return new SignJWT({ nq })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .setIssuer(iss)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(key);
    }

    /** The machine token a second trusted issuer gives `machine`'s GUID and key, on other hardware. */
    function movedMachineToken(machine: TestMachine, components: string[]): string {
      const now = nowSeconds();
      return signEs256(
        { typ: 'JWT' },
        {
          iss: MACHINE_ISSUER,
          sub: machine.guid,
          mid: components,
          cnf: { jwk: publicJwk(machine.privateKey) },
          iat: now,
          exp: now + 3600,
        },
        machineIssuerKey.privateKey,
      );
    }

    async function accepted(url: string, body: string) {
      const answer = await post(url, body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    /** A refusal with this error name that leaves every domain table as it was. */
    async function refused(url: string, body: string, name: string) {
      const state = await snapshot(server.domus.storage);
      const answer = await post(url, body);
      assert.equal(answer.body?.error?.name, name, `${answer.status} ${JSON.stringify(answer.body)}`);
      assert.deepEqual(await snapshot(server.domus.storage), state, 'a refused request changed stored state');
    }

    async function admin(method: string, pathname: string, body?: unknown) {
      return server.admin(method, pathname, body);
    }

    async function details(mode: 'anonymous' | 'identity', name: string) {
      const answer = await admin('GET', `/domains/${mode}/${encodeURIComponent(name)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    async function membersOf(mode: 'anonymous' | 'identity', name: string) {
      const answer = await admin('GET', `/domains/${mode}/${encodeURIComponent(name)}/members`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.items as { guid: string; machine: { slot: number; components: string[] } }[];
    }

    describe('identity domain names (issue 9, finding 5)', () => {
      it('gives two identities two domains, however ":" and "%" fall in their nq and sub', async () => {
        const identities = [
          { nq: 'amb', sub: 'b:c', name: 'amb:b%3Ac' },
          { nq: 'amb:b', sub: 'c', name: 'amb:b:c' },
          { nq: 'amb', sub: 'b%3Ac', name: 'amb:b%253Ac' },
          { nq: 'amb%3Ab', sub: 'c', name: 'amb%3Ab:c' },
          { nq: 'https://idp.example', sub: 'urn:user:7', name: 'https://idp.example:urn%3Auser%3A7' },
        ];
        const joined: { at: string; machine: TestMachine; name: string }[] = [];
        for (const identity of identities) {
          const at = await authToken({ nq: identity.nq, sub: identity.sub });
          const machine = await newMachine();
          const answer = await accepted(joinUrl({}), domainRequest(machine, { at }));
          assert.equal(answer.domain.name, identity.name);
          assert.equal(answer.member.members, 1, `${identity.nq} / ${identity.sub} joined another's domain`);
          joined.push({ at, machine, name: identity.name });
        }
        assert.equal(new Set(joined.map((j) => j.name)).size, identities.length);
        for (const { at, machine, name } of joined) {
          // Each domain holds its own member only, and the admin API finds it by its name.
          assert.deepEqual(
            (await membersOf('identity', name)).map((m) => m.guid),
            [machine.guid],
          );
          assert.equal((await details('identity', name)).members, 1);
          // A re-join names the domain the device was given; a colliding old-style name is another domain.
          await accepted(joinUrl({}), domainRequest(machine, { at, dn: name }));
        }
        const [first, second] = joined as [(typeof joined)[0], (typeof joined)[0]];
        await refused(joinUrl({}), domainRequest(first.machine, { at: first.at, dn: second.name }), 'DOM_REG_DENIED');
        const left = await accepted(leaveUrl({}), leaveRequest(second.machine, 'commit', { at: second.at }));
        assert.deepEqual([left.domain.name, left.machineReleased], [second.name, true]);
        assert.equal((await details('identity', first.name)).members, 1);
      });

      it('refuses an auth token whose nq or sub cannot name a domain, and changes nothing', async () => {
        const machine = await newMachine();
        for (const claims of [
          { sub: 'nul\u0000inside' },
          { sub: 'lone\ud800surrogate' },
          { nq: 'line\nbreak' },
          { sub: 'x'.repeat(600) },
        ]) {
          const at = await authToken(claims);
          await refused(joinUrl({}), domainRequest(machine, { at }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
          await refused(leaveUrl({}), leaveRequest(machine, 'preview', { at }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
        }
      });

      it('takes in the admin API only names a token can reach', async () => {
        for (const name of ['adm:b:c', 'adm:b%3Ac', 'adm:50%25']) {
          const put = await admin('PUT', `/domains/identity/${encodeURIComponent(name)}`, { maxMembership: 2 });
          assert.equal(put.status, 201, `${name}: ${JSON.stringify(put.body)}`);
          assert.equal(put.body.name, name);
        }
        for (const name of ['no-colon', ':user', 'ns:', 'ns:50%', 'ns:a%3a', 'ns:a%zz']) {
          const put = await admin('PUT', `/domains/identity/${encodeURIComponent(name)}`, { maxMembership: 2 });
          assert.equal(put.status, 400, `${name}: ${JSON.stringify(put.body)}`);
        }
        // The domain made ahead of its first join is the one the token names.
        const at = await authToken({ nq: 'adm', sub: '50%' });
        const answer = await accepted(joinUrl({}), domainRequest(await newMachine(), { at }));
        assert.deepEqual([answer.domain.name, answer.member.maxMembership], ['adm:50%25', 2]);
      });
    });

    describe('anonymous domain names (issue 9, finding 9)', () => {
      it('refuses a name that starts with a dot, so no dot-segment is ever a domain', async () => {
        const machine = await newMachine();
        const paths = ['..', '.', '%2e%2e', '%2E', '.%2e', '.hidden', '%2ehidden'].map(
          (segment) => `/flashaccess/domainserver/${segment}/flashaccess/domain/v4`,
        );
        for (const rawPath of paths) {
          const state = await snapshot(server.domus.storage);
          const answer = (await rawRequest(server.url, 'POST', rawPath, domainRequest(machine), {
            'content-type': 'application/jose',
          })) as { status: number; body: { error?: { name?: string } } };
          assert.equal(answer.status, 400, `${rawPath}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.error?.name, 'REQ_MALFORMED', rawPath);
          assert.deepEqual(await snapshot(server.domus.storage), state, `${rawPath} changed stored state`);
        }
        for (const segment of ['..', '.', '%2e%2e', '.hidden']) {
          const answer = await rawRequest(server.url, 'PUT', `/admin/v1/domains/anonymous/${segment}`, '{}', {
            'content-type': 'application/json',
            authorization: `Bearer ${server.adminToken}`,
          });
          assert.equal(answer.status, 400, `${segment}: ${JSON.stringify(answer.body)}`);
        }
        // Dots inside or at the end of a name are fine (control).
        for (const name of ['a.b', 'x..y', 'end.', 'v1.2.3']) {
          assert.equal((await accepted(joinUrl({ anonymous: name }), domainRequest(machine))).domain.name, name);
        }
      });
    });

    describe('where no authentication is required (issue 9, seed exactness)', () => {
      it('does not consult a token sent anyway: another namespace, expired, untrusted, forged or garbage', async () => {
        await admin('PUT', '/domains/anonymous/open-tve', { authRequired: false, authNamespace: 'tve' });
        const tokens = {
          'another namespace': await authToken({ nq: 'cable' }),
          expired: await authToken({ exp: nowSeconds() - 3600 }),
          untrusted: await authToken({ iss: 'somebody-else' }, newP256KeyPair().privateKey),
          forged: await authToken({}, newP256KeyPair().privateKey),
          garbage: 'garbage',
        };
        for (const [why, at] of Object.entries(tokens)) {
          const machine = await newMachine();
          // The first join (locked path), a re-join (lock-free path), both leave phases.
          const first = await post(joinUrl({ anonymous: 'open-tve' }), domainRequest(machine, { at }));
          assert.equal(first.status, 200, `${why}: ${JSON.stringify(first.body)}`);
          const again = await post(joinUrl({ anonymous: 'open-tve' }), domainRequest(machine, { at }));
          assert.equal(again.status, 200, `${why}: ${JSON.stringify(again.body)}`);
          for (const phase of ['preview', 'commit']) {
            const left = await post(leaveUrl({ anonymous: 'open-tve' }), leaveRequest(machine, phase, { at }));
            assert.equal(left.status, 200, `${why}, ${phase}: ${JSON.stringify(left.body)}`);
          }
          // A domain made by this very join needs none either.
          const fresh = await post(
            joinUrl({ anonymous: `fresh-${why.replace(' ', '-')}` }),
            domainRequest(machine, { at }),
          );
          assert.equal(fresh.status, 200, `${why}: ${JSON.stringify(fresh.body)}`);
        }
      });

      it('checks the token where authentication is required, REQ_REPLAYED first', async () => {
        const machine = await newMachine();
        const good = await authToken({ nq: 'tve' });
        await accepted(joinUrl({ anonymous: 'closed-tve' }), domainRequest(machine));
        await admin('PUT', '/domains/anonymous/closed-tve', { authRequired: true, authNamespace: 'tve' });
        const url = joinUrl({ anonymous: 'closed-tve' });
        await refused(
          url,
          domainRequest(machine, { at: await authToken({ nq: 'cable' }) }),
          'DOM_AUTHENTICATION_REQUIRED',
        );
        await refused(url, domainRequest(machine), 'DOM_AUTHENTICATION_REQUIRED');
        for (const at of [await authToken({ exp: nowSeconds() - 3600 }), 'garbage']) {
          await refused(url, domainRequest(machine, { at }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
          await refused(
            leaveUrl({ anonymous: 'closed-tve' }),
            leaveRequest(machine, 'preview', { at }),
            'REQ_AUTH_TOKEN_INVALID_EXPIRED',
          );
        }
        const mid = messageId();
        await accepted(url, domainRequest(machine, { at: good, mid }));
        await refused(url, domainRequest(machine, { at: 'garbage', mid }), 'REQ_REPLAYED');
        await refused(joinUrl({}), domainRequest(machine, { at: 'garbage', mid }), 'REQ_REPLAYED');
      });
    });

    describe('the order of refusals (issue 9, untested orderings)', () => {
      it('checks authentication before the member limit on join', async () => {
        const member = await newMachine();
        const good = await authToken({ nq: 'tve' });
        await admin('PUT', '/domains/anonymous/full-house', {
          authRequired: true,
          authNamespace: 'tve',
          maxMembership: 1,
        });
        await accepted(joinUrl({ anonymous: 'full-house' }), domainRequest(member, { at: good }));
        const newcomer = await newMachine();
        const url = joinUrl({ anonymous: 'full-house' });
        await refused(url, domainRequest(newcomer), 'DOM_AUTHENTICATION_REQUIRED');
        await refused(
          url,
          domainRequest(newcomer, { at: await authToken({ nq: 'cable' }) }),
          'DOM_AUTHENTICATION_REQUIRED',
        );
        await refused(url, domainRequest(newcomer, { at: 'garbage' }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
        await refused(url, domainRequest(newcomer, { at: good }), 'DOM_LIMIT_REACHED');
        // Identity mode: a full domain whose policy names a namespace the token is not of.
        const at = await authToken({ nq: 'tve', sub: 'zoe' });
        await admin('PUT', `/domains/identity/${encodeURIComponent('tve:zoe')}`, {
          maxMembership: 1,
          authNamespace: 'cable',
        });
        await refused(joinUrl({}), domainRequest(newcomer, { at }), 'DOM_AUTHENTICATION_REQUIRED');
        await admin('PUT', `/domains/identity/${encodeURIComponent('tve:zoe')}`, { authNamespace: null });
        await accepted(joinUrl({}), domainRequest(member, { at }));
        await refused(joinUrl({}), domainRequest(newcomer, { at }), 'DOM_LIMIT_REACHED');
      });

      it('checks authentication before membership on leave', async () => {
        const stranger = await newMachine();
        const good = await authToken({ nq: 'tve' });
        await admin('PUT', '/domains/anonymous/members-club', { authRequired: true, authNamespace: 'tve' });
        await accepted(joinUrl({ anonymous: 'members-club' }), domainRequest(await newMachine(), { at: good }));
        const url = leaveUrl({ anonymous: 'members-club' });
        for (const phase of ['preview', 'commit']) {
          await refused(url, leaveRequest(stranger, phase), 'DOM_AUTHENTICATION_REQUIRED');
          await refused(
            url,
            leaveRequest(stranger, phase, { at: await authToken({ nq: 'cable' }) }),
            'DOM_AUTHENTICATION_REQUIRED',
          );
          await refused(url, leaveRequest(stranger, phase, { at: 'garbage' }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
          await refused(url, leaveRequest(stranger, phase, { at: good }), 'DEREG_DENIED');
        }
      });
    });

    describe('identity re-join compares machine IDs first (issue 9, seed exactness)', () => {
      it('counts a member GUID on unrelated hardware as a new machine, on the lock-free and the locked path', async () => {
        const at = await authToken({ nq: 'tve', sub: 'mover' });
        const name = 'tve:mover';
        await admin('PUT', `/domains/identity/${name}`, { maxMembership: 2 });
        const mover = await newMachine(simulatedComponents('mover-old'));
        const other = await newMachine(simulatedComponents('mover-other'));
        await accepted(joinUrl({}), domainRequest(mover, { at }));
        await accepted(joinUrl({}), domainRequest(mover, { at }));
        await accepted(joinUrl({}), domainRequest(other, { at }));
        const moved = movedMachineToken(mover, simulatedComponents('mover-new'));

        // Full: the GUID on new hardware meets the limit, whichever path the re-join takes.
        await refused(joinUrl({}), domainRequest(mover, { at, mt: moved }), 'DOM_LIMIT_REACHED');
        await admin('POST', `/domains/identity/${name}/rollover`);
        await refused(joinUrl({}), domainRequest(mover, { at, mt: moved }), 'DOM_LIMIT_REACHED');
        // The same GUID on its own hardware still re-joins (control); that join made key version 2.
        await accepted(joinUrl({}), domainRequest(mover, { at }));

        // With room, it is admitted on the machine it now matches; its old machine, left without
        // a registration, is released as a leave would release it (and the key rolls over).
        const otherLeft = await accepted(leaveUrl({}), leaveRequest(other, 'commit', { at }));
        assert.equal(otherLeft.machineReleased, true);
        const admitted = await accepted(joinUrl({}), domainRequest(mover, { at, mt: moved }));
        assert.equal(admitted.member.members, 1);
        const members = await membersOf('identity', name);
        assert.deepEqual(
          members.map((m) => [m.guid, m.machine.components]),
          [[mover.guid, simulatedComponents('mover-new')]],
        );
        const after = await details('identity', name);
        assert.equal(after.members, 1);
        // docs/domain-server.md, "Events": the move, the rollover it caused, and the leave before.
        const events = (await admin('GET', `/domains/identity/${name}/events?limit=3`)).body.items;
        assert.deepEqual(
          events.map((e: Record<string, unknown>) => [e.kind, e.actor, e.subject, e.keyVersion, e.detail]),
          [
            ['rolled_over', { kind: 'device', guid: mover.guid }, null, 3, null],
            ['moved', { kind: 'device', guid: mover.guid }, mover.guid, null, { machineReleased: true }],
            ['left', { kind: 'device', guid: other.guid }, other.guid, null, { machineReleased: true }],
          ],
        );
        assert.deepEqual(
          after.keyVersions.map((k: { version: number }) => k.version),
          [1, 2, 3],
        );
        // Its leave now works from the new hardware, and no longer from the old.
        await refused(leaveUrl({}), leaveRequest(mover, 'preview', { at }), 'DEREG_DENIED');
        const left = await accepted(leaveUrl({}), leaveRequest(mover, 'commit', { at, mt: moved }));
        assert.equal(left.machineReleased, true);
        assert.equal((await details('identity', name)).members, 0);
      });

      it('moves a registration onto the member machine it now matches, keeping reference counts', async () => {
        const at = await authToken({ nq: 'tve', sub: 'merger' });
        const name = 'tve:merger';
        const kitchen = simulatedComponents('merger-kitchen');
        const lounge = simulatedComponents('merger-lounge');
        const app = await newMachine(kitchen);
        const secondApp = await newMachine(kitchen);
        const tv = await newMachine(lounge);
        for (const machine of [app, secondApp, tv]) await accepted(joinUrl({}), domainRequest(machine, { at }));
        assert.equal((await details('identity', name)).members, 2);

        // `app`'s GUID shows up on the lounge machine: it joins that slot; the kitchen keeps secondApp.
        const onLounge = movedMachineToken(app, lounge);
        assert.equal((await accepted(joinUrl({}), domainRequest(app, { at, mt: onLounge }))).member.members, 2);
        const slots = new Map((await membersOf('identity', name)).map((m) => [m.guid, m.machine.slot]));
        assert.equal(slots.get(app.guid), slots.get(tv.guid));
        assert.notEqual(slots.get(secondApp.guid), slots.get(tv.guid));
        const before = await details('identity', name);
        assert.equal(before.members, 2);
        assert.equal(before.keyRolloverRequired, false);

        const kitchenLeft = await accepted(leaveUrl({}), leaveRequest(secondApp, 'commit', { at }));
        assert.equal(kitchenLeft.machineReleased, true);
        const appLeft = await accepted(leaveUrl({}), leaveRequest(app, 'commit', { at, mt: onLounge }));
        assert.equal(appLeft.machineReleased, false);
        const tvLeft = await accepted(leaveUrl({}), leaveRequest(tv, 'commit', { at }));
        assert.equal(tvLeft.machineReleased, true);
        assert.equal((await details('identity', name)).members, 0);
        assert.deepEqual(await membersOf('identity', name), []);
      });
    });
  });
}
