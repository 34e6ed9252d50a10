/**
 * Issue 11 on the device side (docs/domain-protocol.md §12, §14, §15): the bundled device client,
 * as a library and as `domus device …`, joins with a label, lists the household's members,
 * removes another member within the removal limit, and, told DOM_NOT_MEMBER, deletes the domain's
 * credentials and licenses. Against a real server on every test database.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeviceClient, DomainServerError, NoLongerMemberError } from '../src/device/device-client.js';
import { simulatedComponents } from '../src/device/hardware.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { runDomus, stopAllChildren } from './support/processes.js';
import { startTestServer, type TestServer } from './support/server.js';

const HOUR_S = 3600;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A refusal with this protocol error. */
const refusal = (status: number, code: number, errorName: string) => (error: unknown) => {
  assert.ok(error instanceof DomainServerError, String(error));
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  assert.equal(error.errorName, errorName);
  assert.match(error.message, new RegExp(`${errorName} \\(${code}\\)`));
  return true;
};

/** DOM_NOT_MEMBER, after which the device deleted the domain's credentials and `licenses` licenses. */
const noLongerMember =
  (serverUrl: string, domain: string, licenses: number, held = true) =>
  (error: unknown) => {
    assert.ok(error instanceof NoLongerMemberError, String(error));
    refusal(403, 504, 'DOM_NOT_MEMBER')(error);
    assert.equal(error.serverUrl, serverUrl);
    assert.equal(error.domain, domain);
    assert.equal(error.credentialsDeleted, held);
    assert.equal(error.licensesDeleted, licenses);
    assert.match(error.message, new RegExp(`no longer a member of ${domain}`));
    return true;
  };

/** DOM_REMOVAL_LIMITED with the time of the next allowed removal about `periodS` from now. */
const removalLimited = (periodS: number) => (error: unknown) => {
  refusal(429, 505, 'DOM_REMOVAL_LIMITED')(error);
  const { nextRemovalAt, retryAfterS } = error as DomainServerError;
  assert.match(nextRemovalAt ?? '', ISO_TIME);
  const inS = (Date.parse(nextRemovalAt as string) - Date.now()) / 1000;
  assert.ok(inS > periodS - 120 && inS <= periodS, `next removal in ${inS} s`);
  assert.ok(retryAfterS !== undefined && Math.abs(retryAfterS - inS) < 120, `Retry-After ${retryAfterS}`);
  assert.ok((error as Error).message.includes(nextRemovalAt as string));
  return true;
};

const LICENSE_SERVER_TOKEN = 'license-server-token-of-the-tests';

for (const kind of testDatabases()) {
  describe(`household devices from the device client on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    const dirs: string[] = [];
    const deviceDir = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'domus-device-'));
      dirs.push(dir);
      return dir;
    };
    const anonymousUrl = (name: string) => `${server.url}/flashaccess/domainserver/${name}`;
    const newDevice = async (seed: string, options: { fetch?: typeof fetch } = {}) => {
      const client = new DeviceClient(deviceDir(), { components: simulatedComponents(seed), ...options });
      await client.individualize(server.url);
      return client;
    };
    const guidOf = (client: DeviceClient) => client.status().guid as string;
    const license = (id: string, url: string, name: string) => ({
      id,
      domainServerUrl: url,
      domainName: name,
      keyVersion: 1,
    });
    async function policy(name: string, fields: Record<string, unknown>) {
      const answer = await server.admin('PUT', `/domains/anonymous/${name}`, fields);
      assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
    }
    async function serverMembers(name: string) {
      const answer = await server.admin('GET', `/domains/anonymous/${name}/members`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return (answer.body.items as { guid: string }[]).map((m) => m.guid).sort();
    }

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_THROTTLE: 'off', DOMUS_LICENSE_SERVER_TOKEN: LICENSE_SERVER_TOKEN });
    });

    /** The license-server view's key versions of an anonymous domain. */
    async function licenseView(name: string) {
      const response = await fetch(`${server.url}/license-server/v1/domains/anonymous/${name}`, {
        headers: { authorization: `Bearer ${LICENSE_SERVER_TOKEN}` },
      });
      assert.equal(response.status, 200);
      const { currentKeyVersion, oldestKeyVersion, rolloverPending } = await response.json();
      return { currentKeyVersion, oldestKeyVersion, rolloverPending };
    }
    after(async () => {
      await stopAllChildren();
      await server?.close();
      await db?.drop();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('labels, members, removal freeing a slot, DOM_NOT_MEMBER deleting credentials and licenses, the removal limit', async () => {
      const name = 'family';
      const url = anonymousUrl(name);
      const tv = await newDevice('living-room-tv');
      const phone = await newDevice('phone');
      const tablet = await newDevice('tablet');

      assert.equal((await tv.join(url, undefined, { label: 'Living-room TV' })).name, name);
      await policy(name, { maxMembership: 2, removalLimit: { removals: 1, periodSeconds: HOUR_S } });
      await phone.join(`${url}/`, undefined, { label: 'Phone' });
      await assert.rejects(tablet.join(url), refusal(403, 502, 'DOM_LIMIT_REACHED'));

      // The household's list: both members with their labels, `self` naming the asking device.
      const fromTv = await tv.members(url);
      const byGuid = <T extends { guid: string }>(list: T[]) => [...list].sort((a, b) => a.guid.localeCompare(b.guid));
      assert.deepEqual(
        byGuid(fromTv.members).map(({ guid, label, self }) => ({ guid, label, self })),
        byGuid([
          { guid: guidOf(tv), label: 'Living-room TV', self: true },
          { guid: guidOf(phone), label: 'Phone', self: false },
        ]),
      );
      for (const member of fromTv.members) {
        assert.deepEqual(Object.keys(member).sort(), ['firstSeen', 'guid', 'label', 'lastSeen', 'self']);
        assert.match(member.firstSeen, ISO_TIME);
        assert.match(member.lastSeen, ISO_TIME);
        assert.ok(member.firstSeen <= member.lastSeen);
      }
      const fromPhone = await phone.members(`${url}/`);
      assert.deepEqual(
        fromPhone.members.filter((m) => m.self).map((m) => m.guid),
        [guidOf(phone)],
      );

      // A label too long, or with a control character, is refused and changes nothing: not for
      // a new device, not for a member re-joining.
      for (const label of ['x'.repeat(65), 'TV\nin the kitchen']) {
        await assert.rejects(tablet.join(url, undefined, { label }), refusal(400, 100, 'REQ_MALFORMED'));
        await assert.rejects(tv.join(url, undefined, { label }), refusal(400, 100, 'REQ_MALFORMED'));
      }
      assert.equal(tablet.store.domain(url), undefined);
      assert.equal(tv.store.domain(url)?.name, name);
      assert.deepEqual(await serverMembers(name), [guidOf(tv), guidOf(phone)].sort());
      assert.equal((await tv.members(url)).members.find((m) => m.self)?.label, 'Living-room TV');

      // The phone holds licenses of this domain and of another one.
      const elsewhere = anonymousUrl('grandma');
      await phone.join(elsewhere);
      phone.storeLicense(license('movie-1', url, name));
      phone.storeLicense(license('movie-2', url, name));
      phone.storeLicense(license('series-1', elsewhere, 'grandma'));

      // The TV removes the phone: its slot is free for the tablet.
      const removed = await tv.remove(url, guidOf(phone));
      assert.deepEqual(removed, {
        domain: name,
        member: guidOf(phone),
        removed: [guidOf(phone)],
        machineReleased: true,
      });
      assert.deepEqual(await serverMembers(name), [guidOf(tv)]);
      // What a license server sees: until the next join, a rollover is pending on version 1.
      assert.deepEqual(await licenseView(name), { currentKeyVersion: 1, oldestKeyVersion: 1, rolloverPending: true });
      const tabletJoined = await tablet.join(url, undefined, { label: 'Tablet' });
      assert.deepEqual(
        tabletJoined.credentials.map((c) => c.keyVersion),
        [1, 2],
        'the removal rolled the key over',
      );
      tablet.storeLicense(license('tablet-movie', url, name));
      // New licenses are bound to version 2, which the removed phone never received.
      assert.deepEqual(await licenseView(name), { currentKeyVersion: 2, oldestKeyVersion: 1, rolloverPending: false });

      // The phone still holds the domain, so its re-join sends dn: DOM_NOT_MEMBER, and it deletes
      // the domain's credentials and its two licenses, keeping the other domain's.
      assert.equal(phone.store.domain(url)?.name, name);
      await assert.rejects(phone.join(url), noLongerMember(url, name, 2));
      assert.equal(phone.store.domain(url), undefined);
      assert.equal(phone.store.domain(elsewhere)?.name, 'grandma');
      assert.deepEqual(
        phone.store.licenses().map((l) => l.id),
        ['series-1'],
      );
      await assert.rejects(phone.domainPrivateKey(url, 1), /no credential/);
      // Asked again (the list, a leave), it is still no member and holds nothing of it any more.
      await assert.rejects(phone.members(url), noLongerMember(url, url, 0, false));
      await assert.rejects(phone.leave(url), noLongerMember(url, url, 0, false));
      // Joining again is a new join (no dn), which needs a slot: the domain is full.
      await assert.rejects(phone.join(url), refusal(403, 502, 'DOM_LIMIT_REACHED'));
      assert.equal(phone.store.domain(url), undefined);

      // One removal an hour: the next is refused, in the preview already, with nextRemovalAt.
      await assert.rejects(tv.remove(url, guidOf(tablet)), removalLimited(HOUR_S));
      assert.deepEqual(await serverMembers(name), [guidOf(tablet), guidOf(tv)].sort());
      assert.equal(tablet.store.domain(url)?.name, name);

      // Until the operator resets the count.
      const reset = await server.admin('POST', `/domains/anonymous/${name}/removals/reset`);
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.deepEqual((await tv.remove(url, guidOf(tablet))).removed, [guidOf(tablet)]);

      // The removed tablet's leave: DOM_NOT_MEMBER at the preview; credentials and license gone.
      await assert.rejects(tablet.leave(url), noLongerMember(url, name, 1));
      assert.equal(tablet.store.domain(url), undefined);
      assert.deepEqual(tablet.store.licenses(), []);
      assert.deepEqual(tablet.status().domains, []);

      // A removed device's remove request is DOM_NOT_MEMBER too; a member cannot remove itself.
      await assert.rejects(phone.remove(url, guidOf(tv)), noLongerMember(url, url, 0, false));
      await assert.rejects(tv.remove(url, guidOf(tv)), refusal(403, 401, 'DEREG_DENIED'));
      assert.deepEqual(await serverMembers(name), [guidOf(tv)]);
    });

    it('follows nextCursor to the last page', async () => {
      const name = 'big-family';
      const url = anonymousUrl(name);
      let memberRequests = 0;
      const counting: typeof fetch = (input, init) => {
        if (String(input).endsWith('/flashaccess/members/v4')) memberRequests++;
        return fetch(input, init);
      };
      const first = await newDevice('big-1', { fetch: counting });
      const devices = [first, await newDevice('big-2'), await newDevice('big-3')];
      for (const [index, device] of devices.entries()) await device.join(url, undefined, { label: `Device ${index}` });

      const paged = await first.members(url, undefined, { pageSize: 1 });
      assert.equal(memberRequests, 3);
      const expected = devices
        .map((device, index) => ({ guid: guidOf(device), label: `Device ${index}`, self: index === 0 }))
        .sort((a, b) => a.guid.localeCompare(b.guid));
      assert.deepEqual(
        paged.members.map(({ guid, label, self }) => ({ guid, label, self })),
        expected,
      );
      memberRequests = 0;
      const whole = await first.members(url);
      assert.equal(memberRequests, 1, 'one page without a page size');
      assert.deepEqual(
        whole.members.map(({ guid, label, self }) => ({ guid, label, self })),
        expected,
      );
      await assert.rejects(first.members(url, undefined, { pageSize: 101 }), refusal(400, 100, 'REQ_MALFORMED'));
    });

    it('refuses members and remove when the server does not list the extension', async () => {
      const url = anonymousUrl('older-server');
      const posted: string[] = [];
      let extensions: string[] | undefined = ['members'];
      const olderServer: typeof fetch = async (input, init) => {
        const target = String(input);
        if (init?.method === 'POST') posted.push(new URL(target).pathname.replace(/^.*\/flashaccess\//, ''));
        if (!target.endsWith('/flashaccess/getServerVersion/v3')) return fetch(input, init);
        const answer = { protocolVersions: [3, 5], server: 'Older/5', ...(extensions && { extensions }) };
        return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
      };
      const device = await newDevice('older-box', { fetch: olderServer });
      const other = await newDevice('older-phone');
      await device.join(url);
      await other.join(url);
      posted.length = 0;

      assert.equal((await device.members(url)).members.length, 2, 'members is listed');
      await assert.rejects(device.remove(url, guidOf(other)), /does not offer "remove"/);
      extensions = undefined;
      await assert.rejects(device.members(url), /does not offer "members"/);
      await assert.rejects(device.remove(url, guidOf(other)), /does not offer "remove"/);
      assert.deepEqual(posted, ['members/v4'], 'nothing is sent for an operation the server does not offer');
      assert.equal(device.store.domain(url)?.name, 'older-server');
      assert.equal((await server.admin('GET', '/domains/anonymous/older-server')).body.members, 2);
    });

    it('the domus device command line: join --label, members, remove, DOM_NOT_MEMBER and DOM_REMOVAL_LIMITED', async () => {
      const name = 'cli-family';
      const url = anonymousUrl(name);
      const [tvDir, phoneDir, tabletDir] = [deviceDir(), deviceDir(), deviceDir()];
      const device = async (dir: string, ...args: string[]) => {
        const result = await runDomus(['device', ...args, '--dir', dir]);
        return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined };
      };
      const ok = async (dir: string, ...args: string[]) => {
        const result = await device(dir, ...args);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
        return result.json;
      };

      const tvGuid = (await ok(tvDir, 'individualize', '--server', server.url, '--simulated-hardware', 'cli-tv')).guid;
      const phoneGuid = (await ok(phoneDir, 'individualize', '--server', server.url, '--simulated-hardware', 'cli-ph'))
        .guid;
      assert.deepEqual(await ok(tvDir, 'join', url, '--label', 'TV'), {
        domain: name,
        mode: 'anonymous',
        serverUrl: url,
        keyVersions: [1],
      });
      await policy(name, { maxMembership: 2, removalLimit: { removals: 1, periodSeconds: HOUR_S } });
      await ok(phoneDir, 'join', url, '--label', 'Phone');

      // members prints exactly { members: [{ guid, label, firstSeen, lastSeen, self }] }.
      const listed = await ok(tvDir, 'members', url);
      assert.deepEqual(Object.keys(listed), ['members']);
      assert.equal(listed.members.length, 2);
      for (const member of listed.members) {
        assert.deepEqual(Object.keys(member), ['guid', 'label', 'firstSeen', 'lastSeen', 'self']);
        assert.match(member.firstSeen, ISO_TIME);
        assert.match(member.lastSeen, ISO_TIME);
      }
      assert.deepEqual(
        listed.members.map(({ guid, label, self }: { guid: string; label: string; self: boolean }) => ({
          guid,
          label,
          self,
        })),
        [
          { guid: tvGuid, label: 'TV', self: true },
          { guid: phoneGuid, label: 'Phone', self: false },
        ].sort((a, b) => a.guid.localeCompare(b.guid)),
      );

      const licenseFile = path.join(deviceDir(), 'license.json');
      fs.writeFileSync(licenseFile, JSON.stringify(license('cli-movie', url, name)));
      await ok(phoneDir, 'store-license', licenseFile);

      assert.deepEqual(await ok(tvDir, 'remove', url, phoneGuid), {
        domain: name,
        member: phoneGuid,
        removed: [phoneGuid],
        machineReleased: true,
      });

      // The removed phone asks for the list: a non-zero exit, the error code and what was deleted on stderr.
      const notMember = await device(phoneDir, 'members', url);
      assert.equal(notMember.code, 1);
      assert.equal(notMember.stdout, '');
      assert.match(notMember.stderr, /DOM_NOT_MEMBER \(504\)/);
      assert.match(
        notMember.stderr,
        new RegExp(`no longer a member of ${name}: its credentials and 1 license were deleted`),
      );
      const phoneStatus = await ok(phoneDir, 'status');
      assert.deepEqual(phoneStatus.domains, []);
      assert.equal(phoneStatus.licenses, 0);

      // The freed slot goes to a tablet; the next removal is over the limit, with nextRemovalAt on stderr.
      const tablet = new DeviceClient(tabletDir, { components: simulatedComponents('cli-tablet') });
      await tablet.individualize(server.url);
      await tablet.join(url);
      const limited = await device(tvDir, 'remove', url, guidOf(tablet));
      assert.equal(limited.code, 1);
      assert.equal(limited.stdout, '');
      const next = /DOM_REMOVAL_LIMITED \(505\): .*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)/.exec(limited.stderr);
      assert.ok(next, limited.stderr);
      assert.ok(Date.parse(next[1] as string) > Date.now() + (HOUR_S - 120) * 1000);
      assert.deepEqual(await serverMembers(name), [tvGuid, guidOf(tablet)].sort());

      const usage = await device(tvDir, 'remove', url);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /remove <domain server URL> <guid>/);
    });
  });
}
