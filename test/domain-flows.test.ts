/**
 * The domain protocol's flows (docs/domain-protocol.md §8, §9, §10) over HTTP, on every database:
 * joining and the credentials it answers, re-joining, both protocol versions, two-phase leave,
 * key rollover, identity-mode machine matching and reference counts, and the operator actions
 * that act like protocol steps.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { compactDecrypt } from 'jose';
import { simulatedComponents } from '../src/device/hardware.js';
import type { JoinAnswer } from '../src/domains/join.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { backdateLastSeen } from './support/last-seen.js';
import {
  domainRequest,
  individualize,
  messageId,
  post,
  protocolUrl,
  type RequestFields,
  type TestMachine,
} from './support/machines.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

type Target = { anonymous?: string };
type Ver = 3 | 5;

/** The tables that hold domain state (the others hold message ids and server keys). */
const DOMAIN_TABLES = ['domains', 'domain_keys', 'domain_machines', 'domain_registrations'] as const;

const versions = (answer: JoinAnswer) => answer.credentials.map((c) => c.keyVersion);

for (const kind of testDatabases()) {
  describe(`domain protocol flows on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    let ca: x509.X509Certificate;

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db);
      const response = await fetch(`${server.url}/flashaccess/domain-ca.pem`);
      assert.equal(response.status, 200);
      ca = new x509.X509Certificate(await response.text());
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    const newMachine = (components?: string[]) => individualize(server.url, components);
    const token = (subject: string) => server.domus.localIssuer.mint({ subject, namespace: 'tve', ttlSeconds: 600 });
    const anonymousUrl = (name: string) => `${server.url}/flashaccess/domainserver/${name}`;

    async function join(machine: TestMachine, target: Target, fields: RequestFields = {}, ver: Ver = 5) {
      const answer = await post(
        protocolUrl(server.url, 'join', target, ver),
        domainRequest(machine, { ver, ...fields }),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body as JoinAnswer;
    }

    async function leave(machine: TestMachine, target: Target, phase: 'preview' | 'commit', fields = {}, ver: Ver = 5) {
      const answer = await post(
        protocolUrl(server.url, 'leave', target, ver),
        domainRequest(machine, { ver, op: 'leave', phase, ...fields }),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    /** Leaves in both phases, as the device client does; returns the commit answer. */
    async function leaveFully(machine: TestMachine, target: Target, fields = {}) {
      const preview = await leave(machine, target, 'preview', fields);
      assert.deepEqual(preview, { ver: 5, phase: 'preview', domain: { name: preview.domain.name }, allowed: true });
      return leave(machine, target, 'commit', fields);
    }

    async function refused(machine: TestMachine, target: Target, fields: RequestFields, name: string) {
      const state = await snapshot(server.domus.storage);
      const answer = await post(protocolUrl(server.url, 'join', target), domainRequest(machine, fields));
      assert.equal(answer.body?.error?.name, name, JSON.stringify(answer.body));
      assert.deepEqual(await snapshot(server.domus.storage), state);
    }

    async function domain(mode: 'anonymous' | 'identity', name: string) {
      const answer = await server.admin('GET', `/domains/${mode}/${encodeURIComponent(name)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    async function members(mode: 'anonymous' | 'identity', name: string) {
      const answer = await server.admin('GET', `/domains/${mode}/${encodeURIComponent(name)}/members`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.items as { guid: string; machine: { slot: number }; firstSeen: string; lastSeen: string }[];
    }

    async function domainState() {
      const all = await snapshot(server.domus.storage);
      return Object.fromEntries(DOMAIN_TABLES.map((table) => [table, all[table]]));
    }

    /**
     * What a device checks in a join answer: every credential's certificate is issued by the
     * Domain CA for this domain, server URL and key version, and its private key (decrypted with
     * the machine key) is the one the certificate holds. Returns each version's public key.
     */
    async function checkCredentials(
      answer: JoinAnswer,
      machine: TestMachine,
      expected: { name: string; serverUrl: string; versions: number[] },
    ): Promise<Map<number, string>> {
      assert.deepEqual(versions(answer), expected.versions);
      const publicKeys = new Map<number, string>();
      for (const credential of answer.credentials) {
        const certificate = new x509.X509Certificate(Buffer.from(credential.certificate, 'base64'));
        assert.ok(await certificate.verify({ publicKey: ca.publicKey, date: new Date() }), 'not signed by the CA');
        assert.equal(certificate.issuer, ca.subject);
        assert.deepEqual(certificate.subjectName.getField('CN'), [expected.name]);
        const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
        assert.ok(san, 'certificate has no subjectAltName');
        const uris = san.names.items.filter((n) => n.type === 'url').map((n) => n.value);
        assert.ok(uris.includes(expected.serverUrl), `SAN ${uris} lacks ${expected.serverUrl}`);
        assert.ok(uris.includes(`urn:domus:key-version:${credential.keyVersion}`), `SAN ${uris} lacks the version`);
        assert.equal(uris.filter((uri) => uri.startsWith('urn:domus:key-version:')).length, 1);
        assert.equal(certificate.notAfter.getTime(), Date.parse(credential.notAfter));
        assert.ok(certificate.notAfter.getTime() > Date.now());

        const { plaintext, protectedHeader } = await compactDecrypt(credential.privateKey, machine.privateKey);
        assert.equal(protectedHeader.alg, 'ECDH-ES+A256KW');
        assert.equal(protectedHeader.enc, 'A256GCM');
        assert.equal(protectedHeader.cty, 'pkcs8');
        const privateKey = createPrivateKey({ key: Buffer.from(plaintext), format: 'der', type: 'pkcs8' });
        assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
        const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
        assert.ok(spki.equals(Buffer.from(certificate.publicKey.rawData)), 'private key does not match certificate');
        publicKeys.set(credential.keyVersion, spki.toString('base64'));
      }
      assert.equal(new Set(publicKeys.values()).size, publicKeys.size, 'two key versions share a key');
      return publicKeys;
    }

    it('serves a Domain CA certificate that is a self-signed CA', async () => {
      assert.ok(await ca.verify({ signatureOnly: true }));
      assert.equal(ca.issuer, ca.subject);
      assert.equal(ca.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    });

    it('joins an anonymous domain and answers credentials a device can check and use', async () => {
      const machine = await newMachine();
      const answer = await join(machine, { anonymous: 'flat-1' });
      assert.deepEqual(answer.ver, 5);
      assert.deepEqual(answer.domain, { name: 'flat-1', mode: 'anonymous', serverUrl: anonymousUrl('flat-1') });
      assert.deepEqual(answer.member, { guid: machine.guid, members: 1, maxMembership: null });
      await checkCredentials(answer, machine, { name: 'flat-1', serverUrl: anonymousUrl('flat-1'), versions: [1] });
      // A second machine gets the same domain key, encrypted to its own machine key.
      const second = await newMachine();
      const other = await join(second, { anonymous: 'flat-1' });
      assert.equal(other.member.members, 2);
      const [mine, theirs] = await Promise.all([
        checkCredentials(answer, machine, { name: 'flat-1', serverUrl: anonymousUrl('flat-1'), versions: [1] }),
        checkCredentials(other, second, { name: 'flat-1', serverUrl: anonymousUrl('flat-1'), versions: [1] }),
      ]);
      assert.equal(mine.get(1), theirs.get(1));
      await assert.rejects(compactDecrypt(other.credentials[0]?.privateKey ?? '', machine.privateKey));
    });

    it('treats a re-join as idempotent: same member count, last seen advances', async () => {
      const machine = await newMachine();
      const other = await newMachine();
      await join(other, { anonymous: 'rejoin' });
      const first = await join(machine, { anonymous: 'rejoin' });
      assert.equal(first.member.members, 2);
      await backdateLastSeen(server.domus.storage, [machine.guid]);
      const [before] = (await members('anonymous', 'rejoin')).filter((m) => m.guid === machine.guid);
      assert.ok(before);
      const state = await domainState();
      const again = await join(machine, { anonymous: 'rejoin' }, { dn: 'rejoin' });
      assert.equal(again.member.members, 2);
      assert.deepEqual(again.member, first.member);
      assert.deepEqual(versions(again), [1]);
      const [after] = (await members('anonymous', 'rejoin')).filter((m) => m.guid === machine.guid);
      assert.ok(after);
      assert.equal(after.firstSeen, before.firstSeen);
      assert.ok(Date.parse(after.lastSeen) > Date.parse(before.lastSeen), `${after.lastSeen} <= ${before.lastSeen}`);
      assert.equal(after.machine.slot, before.machine.slot);
      const now = await domainState();
      assert.equal(now.domain_machines?.length, state.domain_machines?.length);
      assert.equal(now.domain_registrations?.length, state.domain_registrations?.length);
      assert.deepEqual(now.domain_keys, state.domain_keys);
      assert.equal((await domain('anonymous', 'rejoin')).members, 2);
    });

    it('speaks protocol 3 and 5 on the v3 and v4 paths and echoes ver', async () => {
      const machine = await newMachine();
      const v3 = await join(machine, { anonymous: 'versions' }, {}, 3);
      assert.equal(v3.ver, 3);
      await checkCredentials(v3, machine, { name: 'versions', serverUrl: anonymousUrl('versions'), versions: [1] });
      const v5 = await join(machine, { anonymous: 'versions' }, {}, 5);
      assert.equal(v5.ver, 5);
      assert.equal(v5.member.members, 1);
      const preview = await leave(machine, { anonymous: 'versions' }, 'preview', {}, 3);
      assert.deepEqual(preview, { ver: 3, phase: 'preview', domain: { name: 'versions' }, allowed: true });
      const commit = await leave(machine, { anonymous: 'versions' }, 'commit', {}, 3);
      assert.deepEqual(commit, {
        ver: 3,
        phase: 'commit',
        domain: { name: 'versions' },
        left: true,
        machineReleased: true,
      });
      // Identity mode on protocol 3.
      const identity = await join(machine, {}, { at: await token('v3-user') }, 3);
      assert.equal(identity.ver, 3);
      assert.equal(identity.domain.name, 'tve:v3-user');
      const left = await leave(machine, {}, 'commit', { at: await token('v3-user') }, 3);
      assert.equal(left.ver, 3);
      // The server version names both protocols.
      const response = await fetch(`${server.url}/flashaccess/getServerVersion/v3`);
      const version = (await response.json()) as { protocolVersions: number[]; server: string };
      assert.deepEqual(version.protocolVersions, [3, 5]);
      assert.match(version.server, /^Domus\//);
    });

    it('leaves in two phases: preview changes no domain state, commit frees the slot', async () => {
      const member = await newMachine();
      const waiting = await newMachine();
      await join(member, { anonymous: 'two-phase' });
      await server.admin('PUT', '/domains/anonymous/two-phase', { maxMembership: 1 });
      await refused(waiting, { anonymous: 'two-phase' }, {}, 'DOM_LIMIT_REACHED');

      const state = await domainState();
      const preview = await leave(member, { anonymous: 'two-phase' }, 'preview');
      assert.deepEqual(preview, { ver: 5, phase: 'preview', domain: { name: 'two-phase' }, allowed: true });
      await leave(member, { anonymous: 'two-phase' }, 'preview');
      assert.deepEqual(await domainState(), state, 'a preview changed domain state');
      await refused(waiting, { anonymous: 'two-phase' }, {}, 'DOM_LIMIT_REACHED');

      const commit = await leave(member, { anonymous: 'two-phase' }, 'commit');
      assert.deepEqual(commit, {
        ver: 5,
        phase: 'commit',
        domain: { name: 'two-phase' },
        left: true,
        machineReleased: true,
      });
      const details = await domain('anonymous', 'two-phase');
      assert.equal(details.members, 0);
      assert.equal(details.keyRolloverRequired, true);
      assert.deepEqual(await members('anonymous', 'two-phase'), []);
      const admitted = await join(waiting, { anonymous: 'two-phase' });
      assert.equal(admitted.member.members, 1);
    });

    it('rolls the key over after a leave: the next join answers every version', async () => {
      const stays = await newMachine();
      const goes = await newMachine();
      const serverUrl = anonymousUrl('rollover');
      const first = await join(stays, { anonymous: 'rollover' });
      await join(goes, { anonymous: 'rollover' });
      const v1 = await checkCredentials(first, stays, { name: 'rollover', serverUrl, versions: [1] });
      await leaveFully(goes, { anonymous: 'rollover' });

      const rolled = await join(stays, { anonymous: 'rollover' });
      assert.equal(rolled.member.members, 1);
      const keys = await checkCredentials(rolled, stays, { name: 'rollover', serverUrl, versions: [1, 2] });
      assert.equal(keys.get(1), v1.get(1));
      assert.equal((await domain('anonymous', 'rollover')).keyRolloverRequired, false);
      // No further rollover without a further leave; newcomers get every version too.
      assert.deepEqual(versions(await join(stays, { anonymous: 'rollover' })), [1, 2]);
      const newcomer = await newMachine();
      const joined = await join(newcomer, { anonymous: 'rollover' });
      const theirs = await checkCredentials(joined, newcomer, { name: 'rollover', serverUrl, versions: [1, 2] });
      assert.deepEqual(theirs, keys);
      assert.deepEqual(
        (await domain('anonymous', 'rollover')).keyVersions.map((k: { version: number }) => k.version),
        [1, 2],
      );
    });

    it('names an identity domain {nq}:{sub} with a default limit of 5', async () => {
      const machine = await newMachine();
      const answer = await join(machine, {}, { at: await token('alice') });
      assert.deepEqual(answer.domain, { name: 'tve:alice', mode: 'identity', serverUrl: server.url });
      assert.deepEqual(answer.member, { guid: machine.guid, members: 1, maxMembership: 5 });
      await checkCredentials(answer, machine, { name: 'tve:alice', serverUrl: server.url, versions: [1] });
      const details = await domain('identity', 'tve:alice');
      assert.deepEqual(details.policy, {
        authRequired: true,
        authNamespace: null,
        maxMembership: 5,
        disabled: false,
        removalLimit: null,
        evictAfterSeconds: null,
        keyRetentionSeconds: null,
      });
      // An anonymous domain of the same name is another domain.
      const anonymous = await join(machine, { anonymous: 'tve:alice' });
      assert.equal(anonymous.domain.mode, 'anonymous');
      assert.equal(anonymous.member.maxMembership, null);
      assert.equal((await domain('identity', 'tve:alice')).members, 1);
    });

    it('counts apps on one physical machine as one member, and frees the slot when the last leaves', async () => {
      const at = await token('bob');
      const components = simulatedComponents(messageId());
      const firstApp = await newMachine(components);
      const secondApp = await newMachine(components);
      // A third app after a disk change: 5 of 6 components the same still matches.
      const thirdApp = await newMachine([...components.slice(0, 5), simulatedComponents('new-disk')[0] as string]);
      assert.notEqual(firstApp.guid, secondApp.guid);

      assert.equal((await join(firstApp, {}, { at })).member.members, 1);
      assert.equal((await join(secondApp, {}, { at })).member.members, 1);
      assert.equal((await join(thirdApp, {}, { at })).member.members, 1);
      const registrations = await members('identity', 'tve:bob');
      assert.equal(registrations.length, 3);
      assert.equal(new Set(registrations.map((r) => r.machine.slot)).size, 1);
      assert.equal((await domain('identity', 'tve:bob')).members, 1);

      // Leaving from one app keeps the machine a member, and no rollover happens.
      const first = await leaveFully(firstApp, {}, { at });
      assert.deepEqual(first, {
        ver: 5,
        phase: 'commit',
        domain: { name: 'tve:bob' },
        left: true,
        machineReleased: false,
      });
      let details = await domain('identity', 'tve:bob');
      assert.equal(details.members, 1);
      assert.equal(details.keyRolloverRequired, false);
      assert.deepEqual(versions(await join(secondApp, {}, { at })), [1]);
      const second = await leaveFully(secondApp, {}, { at });
      assert.equal(second.machineReleased, false);
      assert.equal((await domain('identity', 'tve:bob')).members, 1);

      // The last app's leave frees the slot and sets the rollover.
      const last = await leaveFully(thirdApp, {}, { at });
      assert.equal(last.machineReleased, true);
      details = await domain('identity', 'tve:bob');
      assert.equal(details.members, 0);
      assert.equal(details.keyRolloverRequired, true);
      assert.deepEqual(await members('identity', 'tve:bob'), []);
      const rejoined = await join(firstApp, {}, { at });
      assert.equal(rejoined.member.members, 1);
      await checkCredentials(rejoined, firstApp, { name: 'tve:bob', serverUrl: server.url, versions: [1, 2] });
    });

    it('refuses a sixth physical machine in an identity domain, and admits it after a leave', async () => {
      const at = await token('carol');
      const machines: TestMachine[] = [];
      for (let i = 1; i <= 5; i++) {
        const machine = await newMachine();
        machines.push(machine);
        assert.equal((await join(machine, {}, { at })).member.members, i);
      }
      const sixth = await newMachine();
      await refused(sixth, {}, { at }, 'DOM_LIMIT_REACHED');
      // A full domain still admits another app on a member machine: it takes no slot.
      const [firstMachine, secondMachine] = machines as [TestMachine, TestMachine];
      const anotherApp = await newMachine(firstMachine.components);
      assert.equal((await join(anotherApp, {}, { at })).member.members, 5);
      await refused(sixth, {}, { at }, 'DOM_LIMIT_REACHED');

      const left = await leaveFully(secondMachine, {}, { at });
      assert.equal(left.machineReleased, true);
      const admitted = await join(sixth, {}, { at });
      assert.equal(admitted.member.members, 5);
      assert.deepEqual(versions(admitted), [1, 2]);
      // The machine that left is now the one refused.
      await refused(secondMachine, {}, { at }, 'DOM_LIMIT_REACHED');
    });

    it('rolls the key over when the operator forces it', async () => {
      const machine = await newMachine();
      await join(machine, { anonymous: 'forced' });
      const forced = await server.admin('POST', '/domains/anonymous/forced/rollover');
      assert.equal(forced.status, 200, JSON.stringify(forced.body));
      assert.equal(forced.body.keyRolloverRequired, true);
      const answer = await join(machine, { anonymous: 'forced' });
      assert.equal(answer.member.members, 1);
      await checkCredentials(answer, machine, { name: 'forced', serverUrl: anonymousUrl('forced'), versions: [1, 2] });
      assert.equal((await domain('anonymous', 'forced')).keyRolloverRequired, false);

      const at = await token('dave');
      await join(machine, {}, { at });
      const identity = await server.admin('POST', `/domains/identity/${encodeURIComponent('tve:dave')}/rollover`);
      assert.equal(identity.status, 200, JSON.stringify(identity.body));
      const rolled = await join(machine, {}, { at });
      await checkCredentials(rolled, machine, { name: 'tve:dave', serverUrl: server.url, versions: [1, 2] });

      const missing = await server.admin('POST', '/domains/anonymous/no-such-domain/rollover');
      assert.equal(missing.status, 404);
    });

    it('removes a member by operator action as a committed leave would', async () => {
      const member = await newMachine();
      const waiting = await newMachine();
      await server.admin('PUT', '/domains/anonymous/evict', { maxMembership: 1 });
      await join(member, { anonymous: 'evict' });
      await refused(waiting, { anonymous: 'evict' }, {}, 'DOM_LIMIT_REACHED');

      const removed = await server.admin('DELETE', `/domains/anonymous/evict/members/${member.guid}`);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual(removed.body, { removed: true, machineReleased: true });
      const details = await domain('anonymous', 'evict');
      assert.equal(details.members, 0);
      assert.equal(details.keyRolloverRequired, true);
      // The removed machine is told it is no member any more (issue 11); its slot is free for another.
      const denied = await post(
        protocolUrl(server.url, 'leave', { anonymous: 'evict' }),
        domainRequest(member, { op: 'leave', phase: 'preview' }),
      );
      assert.equal(denied.body?.error?.name, 'DOM_NOT_MEMBER');
      const admitted = await join(waiting, { anonymous: 'evict' });
      assert.equal(admitted.member.members, 1);
      assert.deepEqual(versions(admitted), [1, 2]);
      const again = await server.admin('DELETE', `/domains/anonymous/evict/members/${member.guid}`);
      assert.equal(again.status, 404);

      // Identity mode: removing one of two apps on a machine keeps the machine's slot.
      const at = await token('erin');
      const components = simulatedComponents(messageId());
      const firstApp = await newMachine(components);
      const secondApp = await newMachine(components);
      await join(firstApp, {}, { at });
      await join(secondApp, {}, { at });
      const path = `/domains/identity/${encodeURIComponent('tve:erin')}/members`;
      const one = await server.admin('DELETE', `${path}/${firstApp.guid}`);
      assert.deepEqual(one.body, { removed: true, machineReleased: false });
      assert.equal((await domain('identity', 'tve:erin')).members, 1);
      assert.equal((await domain('identity', 'tve:erin')).keyRolloverRequired, false);
      const two = await server.admin('DELETE', `${path}/${secondApp.guid}`);
      assert.deepEqual(two.body, { removed: true, machineReleased: true });
      const after = await domain('identity', 'tve:erin');
      assert.equal(after.members, 0);
      assert.equal(after.keyRolloverRequired, true);
    });
  });
}
