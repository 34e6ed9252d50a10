/**
 * The storage suite: migrations, the domain store, the key store and transactions, on SQLite
 * always and on PostgreSQL when DOMUS_TEST_DATABASE_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DomainError } from '../src/domains/errors.js';
import { addKey, destroyExpiredKeys, listKeys, saveCertificate } from '../src/domains/key-rows.js';
import { machinesMatch } from '../src/domains/machine-id.js';
import { LAST_SEEN_RESOLUTION_MS, type RejoinAttempt, retainedKeys } from '../src/domains/rejoin-query.js';
import { hasSeenMessage, purgeMessages, recordMessage } from '../src/domains/seen-messages.js';
import { DomainStore } from '../src/domains/store.js';
import { newP256KeyPair } from '../src/platform/crypto/p256.js';
import { SealError, Sealer } from '../src/platform/crypto/sealing.js';
import { KeyStore } from '../src/platform/keys/key-store.js';
import { openStorage, type Storage } from '../src/platform/storage/database.js';
import { migrateDown, migrateTo, migrateToLatest, pendingMigrations } from '../src/platform/storage/migrate.js';
import { transaction, withRetry } from '../src/platform/storage/transaction.js';
import { type TestDatabase, testDatabases } from './support/databases.js';

const policy = { authRequired: false, authNamespace: null, maxMembership: 3, disabled: false };
const components = ['a', 'b', 'c'];

for (const kind of testDatabases()) {
  describe(`storage on ${kind.name}`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const store = new DomainStore(kind.name);

    before(async () => {
      database = await kind.create();
      storage = openStorage(database.target, 4);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    it('migrates up, down and up again while holding data', async () => {
      assert.ok((await pendingMigrations(storage.db)).length > 0);
      await migrateToLatest(storage.db);
      assert.deepEqual(await pendingMigrations(storage.db), []);
      await store.createDomain(storage.db, 'anonymous', 'before-down', policy, 1);
      const reverted = await migrateDown(storage.db);
      assert.equal(reverted.length, 1);
      assert.equal((await pendingMigrations(storage.db)).length, 1);
      await migrateToLatest(storage.db);
      await store.createDomain(storage.db, 'anonymous', 'kept', policy, 1);
      assert.equal((await store.findDomain(storage.db, 'anonymous', 'kept'))?.maxMembership, 3);
      assert.deepEqual(await migrateToLatest(storage.db), []);
    });

    it('creates a domain once, whoever asks first', async () => {
      // Only the insert that made it says so: it alone records the creation (events.ts).
      assert.equal(await store.createDomain(storage.db, 'identity', 'ns:u', { ...policy, maxMembership: 5 }, 10), true);
      assert.equal(
        await store.createDomain(storage.db, 'identity', 'ns:u', { ...policy, maxMembership: 9 }, 20),
        false,
      );
      const domain = await store.findDomain(storage.db, 'identity', 'ns:u');
      assert.equal(domain?.maxMembership, 5);
      assert.equal(domain?.createdAt, 10);
      assert.equal(await store.findDomain(storage.db, 'anonymous', 'ns:u'), undefined);
    });

    it('keeps machines, registrations and reference counts', async () => {
      await store.createDomain(storage.db, 'identity', 'ns:refs', policy, 1);
      const domain = await store.findDomain(storage.db, 'identity', 'ns:refs');
      assert.ok(domain);
      const machine = await store.addMachine(storage.db, domain.id, components, 5);
      await store.addRegistration(storage.db, domain.id, { guid: 'guid-1', machineRow: machine, label: undefined }, 5);
      await store.addRegistration(storage.db, domain.id, { guid: 'guid-2', machineRow: machine, label: undefined }, 6);
      assert.equal(await store.countRegistrationsOnMachine(storage.db, machine), 2);
      const seen = LAST_SEEN_RESOLUTION_MS + 5;
      const first = await store.findRegistration(storage.db, domain.id, 'guid-1');
      assert.ok(first);
      await store.touch(storage.db, domain.id, first, seen - 1);
      assert.equal((await store.findRegistration(storage.db, domain.id, 'guid-1'))?.lastSeen, 5, 'seen just now');
      await store.touch(storage.db, domain.id, first, seen, 'Kitchen tablet');
      const registration = await store.findRegistration(storage.db, domain.id, 'guid-1');
      assert.deepEqual(registration, {
        guid: 'guid-1',
        machineRow: machine,
        components,
        firstSeen: 5,
        lastSeen: seen,
        label: 'Kitchen tablet',
      });
      assert.deepEqual(await store.listMachines(storage.db, domain.id), [{ id: machine, components }]);
      await store.deleteRegistration(storage.db, domain.id, 'guid-1');
      assert.equal(await store.countRegistrationsOnMachine(storage.db, machine), 1);
      await store.deleteMachine(storage.db, machine);
      assert.equal(await store.findRegistration(storage.db, domain.id, 'guid-2'), undefined, 'cascades');
    });

    it('stores key versions in order with their certificates', async () => {
      await store.createDomain(storage.db, 'anonymous', 'keys', policy, 1);
      const domain = await store.findDomain(storage.db, 'anonymous', 'keys');
      assert.ok(domain);
      for (const version of [2, 1]) {
        await addKey(storage.db, domain.id, {
          version,
          publicKeySpki: Buffer.from([version]),
          sealedPrivate: `sealed-${version}`,
          certificate: null,
          certificateNotBefore: null,
          createdAt: version,
        });
      }
      await saveCertificate(storage.db, domain.id, 2, Buffer.from('cert'), 1234);
      const keys = await listKeys(storage.db, domain.id);
      assert.deepEqual(
        keys.map((k) => [k.version, k.certificate?.toString() ?? null, k.certificateNotBefore]),
        [
          [1, null, null],
          [2, 'cert', 1234],
        ],
      );
    });

    it('remembers message ids for the replay window', async () => {
      await recordMessage(storage.db, 'g', 'message-id-0001', 1000, 0);
      assert.equal(await hasSeenMessage(storage.db, 'g', 'message-id-0001', 0), true);
      assert.equal(await hasSeenMessage(storage.db, 'g', 'message-id-0001', 2000), false);
      await assert.rejects(
        transaction(storage, (trx) => recordMessage(trx, 'g', 'message-id-0001', 1500, 0)),
        (error: Error) => error instanceof DomainError && error.errorName === 'REQ_REPLAYED',
      );
      // Older than the window: the id may be used again.
      await recordMessage(storage.db, 'g', 'message-id-0001', 5000, 2000);
      assert.equal(await purgeMessages(storage.db, 6000), 1);
    });

    it('reads a re-join in one query and records it in one statement', async () => {
      await store.createDomain(storage.db, 'anonymous', 'rejoin', policy, 1);
      const domain = await store.findDomain(storage.db, 'anonymous', 'rejoin');
      assert.ok(domain);
      const machine = await store.addMachine(storage.db, domain.id, components, 5);
      await store.addRegistration(storage.db, domain.id, { guid: 'guid-r', machineRow: machine, label: undefined }, 5);
      for (const version of [1, 2]) {
        await addKey(storage.db, domain.id, {
          version,
          publicKeySpki: Buffer.from([version]),
          sealedPrivate: `sealed-${version}`,
          certificate: Buffer.from('c'),
          certificateNotBefore: 7,
          createdAt: version,
        });
      }
      const found = await store.findForRejoin(storage.db, 'anonymous', 'rejoin', 'guid-r');
      assert.equal(found?.domain.id, domain.id);
      assert.equal(found?.registration?.machineRow, machine);
      assert.deepEqual(
        found?.keys.map((k) => [k.version, k.sealedPrivate, k.certificateNotBefore]),
        [
          [1, 'sealed-1', 7],
          [2, 'sealed-2', 7],
        ],
      );
      const stranger = await store.findForRejoin(storage.db, 'anonymous', 'rejoin', 'someone-else');
      assert.equal(stranger?.registration, undefined);
      assert.equal(stranger?.keys.length, 2);
      assert.equal(await store.findForRejoin(storage.db, 'anonymous', 'no-such-domain', 'guid-r'), undefined);

      await recordMessage(storage.db, 'guid-r', 'rejoin-message-01', 900, 0);
      await assert.rejects(
        recordMessage(storage.db, 'guid-r', 'rejoin-message-01', 950, 0),
        (error: Error) => error instanceof DomainError && error.errorName === 'REQ_REPLAYED',
      );
    });

    it('decides a lock-free re-join alike on every database, and a refusal changes nothing', async () => {
      await store.createDomain(storage.db, 'anonymous', 'fast', { ...policy, authNamespace: 'ns' }, 1);
      const domain = await store.findDomain(storage.db, 'anonymous', 'fast');
      assert.ok(domain);
      const machine = await store.addMachine(storage.db, domain.id, components, 5);
      await store.addRegistration(storage.db, domain.id, { guid: 'member', machineRow: machine, label: undefined }, 5);
      const key = { publicKeySpki: Buffer.from([1]), sealedPrivate: 's', certificate: Buffer.from('c'), createdAt: 1 };
      await addKey(storage.db, domain.id, { ...key, version: 1, certificateNotBefore: 700 });
      const auth = (namespace: string) => ({ issuer: 'i', subject: 'u', namespace });
      let n = 0;
      const attempt = (changes: Partial<RejoinAttempt> = {}): RejoinAttempt => ({
        mode: 'anonymous',
        name: 'fast',
        guid: 'member',
        mid: `fast-message-id-${++n}`,
        now: 10 * LAST_SEEN_RESOLUTION_MS + n,
        since: 0,
        windowStart: 700,
        auth: undefined,
        components,
        label: undefined,
        ...changes,
      });
      const state = async () => ({
        seen: Number(
          (await sql<{ n: number }>`select count(*) as n from seen_messages`.execute(storage.db)).rows[0]?.n,
        ),
        lastSeen: (await store.findRegistration(storage.db, domain.id, 'member'))?.lastSeen,
      });
      const refused = async (why: string, changes: Partial<RejoinAttempt>, setup?: () => Promise<void>) => {
        await setup?.();
        const before = await state();
        assert.equal(await store.rejoinWithoutLock(storage.db, attempt(changes)), undefined, why);
        assert.deepEqual(await state(), before, `${why}: changed something`);
      };

      const admitted = await store.rejoinWithoutLock(storage.db, attempt({ auth: auth('ns') }));
      assert.deepEqual([admitted?.domain.id, admitted?.keys.map((k) => k.version)], [domain.id, [1]]);
      assert.equal((await state()).lastSeen, 10 * LAST_SEEN_RESOLUTION_MS + n);
      const replayed = attempt();
      await store.rejoinWithoutLock(storage.db, replayed);
      await assert.rejects(
        store.rejoinWithoutLock(storage.db, { ...replayed, now: replayed.now + 1 }),
        (error: Error) => error instanceof DomainError && error.errorName === 'REQ_REPLAYED',
      );

      await refused('not a member', { guid: 'stranger' });
      await refused('no such domain', { name: 'nowhere' });
      await refused('certificate of another window', { windowStart: 800 });
      // Issue 9: where no authentication is required, a token is not consulted, whatever its namespace.
      assert.ok(await store.rejoinWithoutLock(storage.db, attempt({ auth: auth('other') })));
      await refused('auth required, none given', {}, () =>
        store.updateDomain(storage.db, domain.id, { authRequired: true }, 2),
      );
      await refused('auth required, token of another namespace', { auth: auth('other') });
      assert.ok(await store.rejoinWithoutLock(storage.db, attempt({ auth: auth('ns') })));
      await store.updateDomain(storage.db, domain.id, { authRequired: false }, 3);
      // An anonymous domain counts GUIDs: the machine ID a member sends is not compared.
      assert.ok(await store.rejoinWithoutLock(storage.db, attempt({ components: ['x', 'y', 'z'] })));
      await refused('disabled', {}, () => store.updateDomain(storage.db, domain.id, { disabled: true }, 4));
      await store.updateDomain(storage.db, domain.id, { disabled: false }, 5);
      await refused('suspended', {}, () => store.updateDomain(storage.db, domain.id, { suspended: true }, 4));
      await store.updateDomain(storage.db, domain.id, { suspended: false }, 5);
      await refused('a new label (written under the lock)', { label: 'Den TV' });
      await refused('rollover due', {}, () =>
        store.updateDomain(storage.db, domain.id, { keyRolloverRequired: true }, 6),
      );
      await store.updateDomain(storage.db, domain.id, { keyRolloverRequired: false }, 7);
      await refused('a key without certificate', {}, () =>
        addKey(storage.db, domain.id, { ...key, version: 2, certificate: null, certificateNotBefore: null }),
      );
    });

    it('issue 11: delivers superseded key versions for the key retention, then destroys them, alike on every database', async () => {
      const retentionS = 60;
      await store.createDomain(storage.db, 'anonymous', 'retained', { ...policy, keyRetentionS: retentionS }, 1);
      const domain = await store.findDomain(storage.db, 'anonymous', 'retained');
      assert.ok(domain);
      assert.equal(domain.keyRetentionS, retentionS);
      const machine = await store.addMachine(storage.db, domain.id, components, 5);
      await store.addRegistration(storage.db, domain.id, { guid: 'kept', machineRow: machine, label: undefined }, 5);
      const now = 1_000_000;
      // Version 2 superseded 1 more than the retention ago, 3 superseded 2 just now: 1 is past it.
      const created = [1, now - retentionS * 1000 - 1, now - 10];
      for (const [i, createdAt] of created.entries()) {
        await addKey(storage.db, domain.id, {
          version: i + 1,
          publicKeySpki: Buffer.from([i]),
          sealedPrivate: `s${i}`,
          certificate: Buffer.from('c'),
          certificateNotBefore: 700,
          createdAt,
        });
      }
      assert.deepEqual(
        retainedKeys(await listKeys(storage.db, domain.id), retentionS, now).map((k) => k.version),
        [2, 3],
      );
      const rejoined = await store.rejoinWithoutLock(storage.db, {
        mode: 'anonymous',
        name: 'retained',
        guid: 'kept',
        mid: 'retained-message-1',
        now,
        since: 0,
        windowStart: 700,
        auth: undefined,
        components,
        label: undefined,
      });
      assert.deepEqual(
        rejoined?.keys.map((k) => k.version),
        [2, 3],
        'the one-statement re-join leaves out what the retention drops',
      );
      assert.equal(await destroyExpiredKeys(storage.db, now), 1);
      assert.deepEqual(
        (await listKeys(storage.db, domain.id)).map((k) => k.version),
        [2, 3],
      );
      assert.equal(await destroyExpiredKeys(storage.db, now), 0, 'nothing more is due');
      await store.updateDomain(storage.db, domain.id, { keyRetentionS: null }, 6);
      assert.equal(await destroyExpiredKeys(storage.db, now + 10 ** 9), 0, 'no retention: kept for ever');
    });

    it('issue 9: re-joins an identity member without a lock only on a machine that matches its own', async () => {
      await store.createDomain(storage.db, 'identity', 'ns:matcher', { ...policy, authRequired: true }, 1);
      const domain = await store.findDomain(storage.db, 'identity', 'ns:matcher');
      assert.ok(domain);
      const stored = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
      const machine = await store.addMachine(storage.db, domain.id, stored, 5);
      await store.addRegistration(storage.db, domain.id, { guid: 'member', machineRow: machine, label: undefined }, 5);
      const key = { publicKeySpki: Buffer.from([1]), sealedPrivate: 's', certificate: Buffer.from('c'), createdAt: 1 };
      await addKey(storage.db, domain.id, { ...key, version: 1, certificateNotBefore: 700 });
      let n = 0;
      const attempt = (requestComponents: string[]): RejoinAttempt => ({
        mode: 'identity',
        name: 'ns:matcher',
        guid: 'member',
        mid: `matcher-message-id-${++n}`,
        now: 2 * n * LAST_SEEN_RESOLUTION_MS,
        since: 0,
        windowStart: 700,
        auth: { issuer: 'i', subject: 'matcher', namespace: 'ns' },
        components: requestComponents,
        label: undefined,
      });
      const sixteen = (shared: string[]) => [
        ...shared,
        ...Array.from({ length: 16 - shared.length }, (_, i) => `n${i}`),
      ];
      // [request's machine ID, whether it matches the stored one: ⌈2/3 × the shorter list⌉ shared]
      const cases: [string[], boolean][] = [
        [stored, true],
        [['c1', 'c2', 'c3', 'c4', 'c5', 'new'], true],
        [['c1', 'c2', 'c3', 'c4', 'new', 'newer'], true],
        [['c1', 'c2', 'c3', 'x', 'y', 'z'], false],
        [['c6', 'c5', 'c4'], true],
        [['c1', 'c2', 'x'], true],
        [['c1', 'x', 'y'], false],
        [['c1', 'c1', 'c1', 'x'], false],
        [['c1', 'c2', 'c1', 'c2', 'c3'], false],
        [['c1', 'c2', 'c3', 'c1'], true],
        [sixteen(stored), true],
        [sixteen(['c1', 'c2', 'c3', 'c4']), true],
        [sixteen(['c1', 'c2', 'c3']), false],
        [['x', 'y', 'z'], false],
      ];
      for (const [requestComponents, matches] of cases) {
        assert.equal(machinesMatch(stored, requestComponents), matches, `machinesMatch ${requestComponents}`);
        const seenBefore: number | undefined = (await store.findRegistration(storage.db, domain.id, 'member'))
          ?.lastSeen;
        const answer = await store.rejoinWithoutLock(storage.db, attempt(requestComponents));
        assert.equal(answer !== undefined, matches, `re-join from ${requestComponents}`);
        const seenAfter: number | undefined = (await store.findRegistration(storage.db, domain.id, 'member'))?.lastSeen;
        assert.equal(
          seenAfter,
          matches ? 2 * n * LAST_SEEN_RESOLUTION_MS : seenBefore,
          `last seen after ${requestComponents}`,
        );
      }
    });

    it('issue 9: migrates identity domain names to the unambiguous form and back, holding data', async () => {
      const previous = '2026-12-05-02-throttle-namespaces';
      const renaming = '2026-12-05-03-identity-domain-names';
      const fresh = await kind.create();
      const old = openStorage(fresh.target, 2);
      try {
        await migrateTo(old.db, previous);
        await sql`insert into mvpds (id, display_name, logo_url, protocol, connection, has_logout_endpoint,
          authn_ttl_s, authz_ttl_s, entitlement_claim, auth_namespace, created_at, updated_at)
          values ('Cable', 'Cable', 'https://logo', 'oidc', '{}', 0, 60, 60, 'channels', 'urn:cable:x', 1, 1)`.execute(
          old.db,
        );
        const names: [mode: 'identity' | 'anonymous', before: string, after: string, namespace: string | null][] = [
          ['identity', 'tve:alice', 'tve:alice', null],
          ['identity', 'urn:cable:x:h:1', 'urn:cable:x:h%3A1', null],
          ['identity', 'ns:a:b', 'ns:a%3Ab', 'ns'],
          ['identity', 'https://idp:bob', 'https://idp:bob', null],
          ['identity', 'tve:50%', 'tve:50%25', null],
          ['anonymous', 'ns:a:b', 'ns:a:b', null],
        ];
        const ids: number[] = [];
        // The schema of that time: rows are written in its columns, not through today's store.
        const insertDomain = async (mode: string, name: string, namespace: string | null) => {
          const { rows } = await sql<{ id: number }>`insert into domains (mode, name, auth_required,
            auth_namespace, max_membership, key_rollover_required, disabled, member_count, created_at, updated_at)
            values (${mode}, ${name}, 0, ${namespace}, 3, 0, 0, 0, 1, 1) returning id`.execute(old.db);
          return rows[0]?.id ?? assert.fail('no domain id');
        };
        const registrationOf = async (id: number) =>
          (
            await sql<{ machine_row: number }>`select machine_row from domain_registrations
              where domain_id = ${id} and guid = ${`guid-${id}`}`.execute(old.db)
          ).rows[0]?.machine_row;
        for (const [mode, name, , namespace] of names) {
          const id = await insertDomain(mode, name, namespace);
          const domain = await store.findDomain(old.db, mode, name);
          assert.ok(domain);
          ids.push(domain.id);
          const machine = await store.addMachine(old.db, domain.id, components, 5);
          await sql`insert into domain_registrations (domain_id, guid, machine_row, first_seen, last_seen)
            values (${id}, ${`guid-${id}`}, ${machine}, 5, 5)`.execute(old.db);
          await store.updateDomain(old.db, domain.id, { memberCount: 1 }, 5);
          await addKey(old.db, domain.id, {
            version: 1,
            publicKeySpki: Buffer.from([domain.id]),
            sealedPrivate: `sealed-${domain.id}`,
            certificate: Buffer.from('cert'),
            certificateNotBefore: 700,
            createdAt: 1,
          });
        }
        const state = async (column: 1 | 2) =>
          Promise.all(
            names.map(async (entry, i) => {
              const name = entry[column];
              const domain = await store.findDomain(old.db, entry[0], name);
              assert.ok(domain, `${entry[0]} ${name} is missing`);
              assert.equal(domain.id, ids[i], `${entry[0]} ${name} is not where it was`);
              const keys = await listKeys(old.db, domain.id);
              return {
                name,
                members: domain.memberCount,
                registration: await registrationOf(domain.id),
                certified: keys.map((k) => k.certificate !== null),
              };
            }),
          );
        const before = await state(1);
        assert.deepEqual(await migrateTo(old.db, renaming), [renaming]);
        const renamed = await state(2);
        for (const [i, entry] of names.entries()) {
          const changed = entry[1] !== entry[2];
          assert.equal(renamed[i]?.members, 1);
          assert.equal(renamed[i]?.registration, before[i]?.registration);
          // A renamed domain's certificates name its old name: the next join issues them again.
          assert.deepEqual(renamed[i]?.certified, [!changed], entry[1]);
        }
        assert.deepEqual(await migrateTo(old.db, previous), [renaming]);
        assert.deepEqual(
          (await state(1)).map((s) => [s.name, s.members, s.registration]),
          before.map((s) => [s.name, s.members, s.registration]),
        );
        await migrateTo(old.db, renaming);
        assert.deepEqual(
          (await state(2)).map((s) => s.name),
          names.map((entry) => entry[2]),
        );
        // Two identities the old names could not tell apart cannot be undone into one name.
        await insertDomain('identity', 'amb:b%3Ac', null);
        await insertDomain('identity', 'amb:b:c', null);
        await assert.rejects(migrateTo(old.db, previous), /would both be "amb:b:c"/);
        assert.ok(await store.findDomain(old.db, 'identity', 'amb:b%3Ac'), 'a failed undo changed names');
        assert.equal((await pendingMigrations(old.db)).includes(renaming), false, 'a failed undo is undone whole');
        await migrateToLatest(old.db);
      } finally {
        await old.close();
        await fresh.drop();
      }
    });

    it('rolls a failed transaction back whole', async () => {
      await assert.rejects(
        transaction(storage, async (trx) => {
          await store.createDomain(trx, 'anonymous', 'rolled-back', policy, 1);
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal(await store.findDomain(storage.db, 'anonymous', 'rolled-back'), undefined);
    });

    it('serializes read-then-write under the domain lock', async () => {
      await store.createDomain(storage.db, 'anonymous', 'counter', policy, 1);
      await Promise.all(
        Array.from({ length: 20 }, () =>
          transaction(storage, async (trx) => {
            const domain = await store.lockDomain(trx, 'anonymous', 'counter');
            assert.ok(domain);
            await store.updateDomain(trx, domain.id, { memberCount: domain.memberCount + 1 }, 2);
          }),
        ),
      );
      assert.equal((await store.findDomain(storage.db, 'anonymous', 'counter'))?.memberCount, 20);
    });

    it('keeps server keys sealed and agrees on one key when created concurrently', async () => {
      const keys = new KeyStore(storage, new Sealer(randomBytes(32)));
      await keys.verifyMasterKey();
      const create = async () => {
        const pair = newP256KeyPair();
        return {
          publicData: pair.publicKey.export({ format: 'jwk' }),
          privatePkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
        };
      };
      const [a, b] = await Promise.all([keys.loadOrCreate('race', create), keys.loadOrCreate('race', create)]);
      assert.deepEqual(a.publicData, b.publicData);
      const row = await sql<{
        sealed_private: string;
      }>`select sealed_private from server_keys where name = 'race'`.execute(storage.db);
      const raw = a.privateKey.export({ format: 'der', type: 'pkcs8' });
      const stored = row.rows[0]?.sealed_private ?? '';
      assert.ok(stored.startsWith('v1.'));
      assert.equal(stored.includes(raw.toString('base64')), false);
      assert.equal(stored.includes(raw.toString('base64url')), false);
    });

    it('refuses a master key other than the one that sealed the keys', async () => {
      const other = new KeyStore(storage, new Sealer(randomBytes(32)));
      await assert.rejects(other.verifyMasterKey(), SealError);
    });
  });
}

describe('retry helper', () => {
  it('retries serialization failures and deadlocks, not other errors', async () => {
    for (const code of ['40001', '40P01', 'SQLITE_BUSY']) {
      let calls = 0;
      const result = await withRetry(async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('conflict'), { code });
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(calls, 3);
    }
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw Object.assign(new Error('unique'), { code: '23505' });
      }),
    );
    assert.equal(calls, 1);
  });

  it('gives up after a bounded number of attempts', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw Object.assign(new Error('conflict'), { code: '40001' });
      }),
    );
    assert.equal(calls, 8);
  });
});
