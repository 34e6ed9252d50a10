/**
 * Every error of the domain protocol (docs/domain-protocol.md §4, §11) and of individualization
 * (§5), on every database: the HTTP status, the error body, and that a rejected request changes no
 * stored state at all.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
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

/** Extra issuers the test server trusts, so tests can sign tokens with any claims. */
const MACHINE_ISSUER = 'test-machine-issuer';
const AUTH_ISSUER = 'test-auth-issuer';

type Target = { anonymous?: string };

interface Expected {
  status: number;
  code: number;
  name: string;
  /** The `ver` the error answer echoes; 5 unless said. */
  ver?: number;
}

const REQ_MALFORMED = { status: 400, code: 100, name: 'REQ_MALFORMED' };
const REQ_SIGNATURE_INVALID = { status: 400, code: 101, name: 'REQ_SIGNATURE_INVALID' };
const REQ_REPLAYED = { status: 409, code: 102, name: 'REQ_REPLAYED' };
const REQ_TIMESTAMP_OUT_OF_RANGE = { status: 400, code: 103, name: 'REQ_TIMESTAMP_OUT_OF_RANGE' };
const REQ_UNSUPPORTED_VERSION = { status: 400, code: 105, name: 'REQ_UNSUPPORTED_VERSION' };
const REQ_AUTH_TOKEN_INVALID_EXPIRED = { status: 401, code: 110, name: 'REQ_AUTH_TOKEN_INVALID_EXPIRED' };
const REQ_MACHINE_TOKEN_INVALID_EXPIRED = { status: 401, code: 111, name: 'REQ_MACHINE_TOKEN_INVALID_EXPIRED' };
const DEREG_DENIED = { status: 403, code: 401, name: 'DEREG_DENIED' };
const DOM_REG_DENIED = { status: 403, code: 501, name: 'DOM_REG_DENIED' };
const DOM_LIMIT_REACHED = { status: 403, code: 502, name: 'DOM_LIMIT_REACHED' };
const DOM_AUTHENTICATION_REQUIRED = { status: 401, code: 503, name: 'DOM_AUTHENTICATION_REQUIRED' };

const p256 = () => newP256KeyPair();
const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

for (const kind of testDatabases()) {
  describe(`domain protocol errors on ${kind.name}`, () => {
    let db: TestDatabase;
    let server: TestServer;
    const machineIssuerKey = p256();
    const authIssuerKey = p256();

    before(async () => {
      db = await kind.create();
      server = await startServerTrusting(db, {
        machine: { id: MACHINE_ISSUER, key: machineIssuerKey.publicKey },
        auth: { id: AUTH_ISSUER, key: authIssuerKey.publicKey },
      });
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    const joinUrl = (target: Target, ver: 3 | 5 = 5) => protocolUrl(server.url, 'join', target, ver);
    const leaveUrl = (target: Target, ver: 3 | 5 = 5) => protocolUrl(server.url, 'leave', target, ver);
    const leaveRequest = (machine: TestMachine, phase: string, fields: RequestFields = {}) =>
      domainRequest(machine, { op: 'leave', phase, ...fields });
    const newMachine = (components?: string[]) => individualize(server.url, components);
    const token = (subject: string, namespace = 'tve') =>
      server.domus.localIssuer.mint({ subject, namespace, ttlSeconds: 600 });
    const adminPut = async (mode: string, name: string, policy: Record<string, unknown>) => {
      const answer = await server.admin('PUT', `/domains/${mode}/${encodeURIComponent(name)}`, policy);
      assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
    };

    /** Posts a request that must be refused with `expected` and must leave every table as it was. */
    async function rejected(url: string, body: string, expected: Expected, contentType?: string): Promise<void> {
      const state = await snapshot(server.domus.storage);
      const answer = await post(url, body, contentType);
      assert.equal(answer.status, expected.status, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body ?? {}).sort(), ['error', 'ver'], JSON.stringify(answer.body));
      assert.equal(answer.body.ver, expected.ver ?? 5);
      assert.deepEqual(Object.keys(answer.body.error).sort(), ['code', 'message', 'name']);
      assert.equal(answer.body.error.code, expected.code, answer.body.error.message);
      assert.equal(answer.body.error.name, expected.name);
      assert.equal(typeof answer.body.error.message, 'string');
      assert.ok(answer.body.error.message.length > 0);
      assert.deepEqual(await snapshot(server.domus.storage), state, 'a rejected request changed stored state');
    }

    /** Posts a request that must succeed (the control next to each refusal). */
    async function accepted(url: string, body: string) {
      const answer = await post(url, body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    /** A machine token of the extra trusted issuer for `machine`, with claims overridden. */
    function foreignMachineToken(
      machine: TestMachine,
      claims: Record<string, unknown> = {},
      key: KeyObject = machineIssuerKey.privateKey,
    ): string {
      const now = nowSeconds();
      const payload: Record<string, unknown> = {
        iss: MACHINE_ISSUER,
        sub: machine.guid,
        mid: machine.components,
        cnf: { jwk: publicJwk(machine.privateKey) },
        iat: now,
        exp: now + 3600,
        ...claims,
      };
      return signEs256({ typ: 'JWT' }, payload, key);
    }

    /** An auth token with the given claims, signed by `key` (the extra trusted issuer's by default). */
    function authToken(
      claims: { iss?: string; sub?: string; nq?: string | undefined; exp?: number; nbf?: number } = {},
      key: KeyObject = authIssuerKey.privateKey,
    ): Promise<string> {
      const { iss = AUTH_ISSUER, sub = 'carol', exp = nowSeconds() + 600, nbf, ...rest } = claims;
      const nq = 'nq' in rest ? rest.nq : 'tve';
      const jwt = new SignJWT(nq === undefined ? {} : { nq })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .setIssuer(iss)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(exp);
      if (nbf !== undefined) jwt.setNotBefore(nbf);
      return jwt.sign(key);
    }

    describe('100 REQ_MALFORMED', () => {
      let machine: TestMachine;
      before(async () => {
        machine = await newMachine();
      });

      it('refuses a body that is not a compact JWS', async () => {
        const valid = domainRequest(machine);
        const [header, payload] = valid.split('.') as [string, string, string];
        for (const body of [
          'not a jws',
          'a.b',
          `${header}.${payload}`,
          `${valid}.extra`,
          `${header}.${b64json([1, 2, 3])}.${valid.split('.')[2]}`,
          `${header}.${Buffer.from('{not json').toString('base64url')}.${valid.split('.')[2]}`,
          `${header}.${payload}.sig+with/other=alphabet`,
        ]) {
          await rejected(joinUrl({ anonymous: 'malformed' }), body, REQ_MALFORMED);
        }
      });

      it('refuses an empty body', async () => {
        await rejected(joinUrl({ anonymous: 'malformed' }), '', REQ_MALFORMED);
        await rejected(leaveUrl({}), '', REQ_MALFORMED);
      });

      it('refuses a protected header with the wrong typ or alg', async () => {
        const url = joinUrl({ anonymous: 'malformed' });
        await rejected(url, domainRequest(machine, {}, { header: { typ: 'JWT' } }), REQ_MALFORMED);
        await rejected(url, domainRequest(machine, {}, { header: { typ: 'domus-indiv+jws' } }), REQ_MALFORMED);
        await rejected(url, domainRequest(machine, {}, { header: { typ: undefined } }), REQ_MALFORMED);
        // Same payload and signature, but a header claiming another algorithm.
        const [, payload, signature] = domainRequest(machine).split('.') as [string, string, string];
        const hs256 = `${b64json({ alg: 'HS256', typ: 'domus-domain+jws' })}.${payload}.${signature}`;
        await rejected(url, hs256, REQ_MALFORMED);
      });

      it('refuses a payload that lacks a required field', async () => {
        for (const field of ['ver', 'op', 'mt', 'mid', 'iat']) {
          await rejected(
            joinUrl({ anonymous: 'malformed' }),
            domainRequest(machine, { [field]: undefined }),
            REQ_MALFORMED,
          );
        }
        await rejected(leaveUrl({ anonymous: 'malformed' }), leaveRequest(machine, 'preview', { mt: undefined }), {
          ...REQ_MALFORMED,
        });
      });

      it('refuses fields of the wrong type or shape', async () => {
        const url = joinUrl({ anonymous: 'malformed' });
        for (const fields of [
          { ver: '5' },
          { ver: 5.5 },
          { op: 'register' },
          { mt: 42 },
          { mt: '' },
          { iat: String(nowSeconds()) },
          { iat: nowSeconds() + 0.5 },
          { iat: -1 },
          { dn: '' },
          { dn: 7 },
          { at: '' },
          { at: 12 },
          { phase: 'preview' },
        ]) {
          await rejected(url, domainRequest(machine, fields as RequestFields), REQ_MALFORMED);
        }
      });

      it('refuses a bad message id', async () => {
        for (const mid of ['short', 'x'.repeat(15), 'x'.repeat(65), 'has a space in it!', 'tab\there-0123456789', 17]) {
          await rejected(
            joinUrl({ anonymous: 'malformed' }),
            domainRequest(machine, { mid: mid as string }),
            REQ_MALFORMED,
          );
        }
      });

      it('refuses an op that does not match the path, and a leave without a valid phase', async () => {
        await rejected(joinUrl({ anonymous: 'malformed' }), domainRequest(machine, { op: 'leave' }), REQ_MALFORMED);
        await rejected(leaveUrl({ anonymous: 'malformed' }), domainRequest(machine, { op: 'join' }), REQ_MALFORMED);
        await rejected(
          leaveUrl({ anonymous: 'malformed' }),
          domainRequest(machine, { op: 'leave', phase: 'maybe' }),
          REQ_MALFORMED,
        );
        await rejected(leaveUrl({ anonymous: 'malformed' }), domainRequest(machine, { op: 'leave' }), REQ_MALFORMED);
      });

      it('refuses a bad anonymous domain name in the URL', async () => {
        for (const name of ['bad name', 'a'.repeat(129), 'slash/inside', 'per%cent', 'ümlaut', 'semi;colon', 'a+b']) {
          await rejected(joinUrl({ anonymous: name }), domainRequest(machine), REQ_MALFORMED);
          await rejected(leaveUrl({ anonymous: name }, 3), leaveRequest(machine, 'commit', { ver: 3 }), {
            ...REQ_MALFORMED,
            ver: 3,
          });
        }
        // The longest valid name, with every allowed kind of character, is fine.
        const longest = `Aa0._-:${'n'.repeat(121)}`;
        assert.equal(longest.length, 128);
        const answer = await accepted(joinUrl({ anonymous: longest }), domainRequest(machine));
        assert.equal(answer.domain.name, longest);
      });

      it('refuses a Content-Type other than application/jose', async () => {
        const url = joinUrl({ anonymous: 'malformed' });
        for (const type of ['application/json', 'text/plain', 'application/jose+json', 'application/josex']) {
          await rejected(url, domainRequest(machine), REQ_MALFORMED, type);
        }
        const answer = await post(url, domainRequest(machine), 'application/jose; charset=utf-8');
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
      });
    });

    it('101 REQ_SIGNATURE_INVALID: the request is not signed by the machine key', async () => {
      const machine = await newMachine();
      const other = await newMachine();
      await rejected(
        joinUrl({ anonymous: 'sig' }),
        domainRequest(machine, {}, { signWith: p256().privateKey }),
        REQ_SIGNATURE_INVALID,
      );
      // Signed by another individualized machine, carrying this machine's token.
      await rejected(
        joinUrl({ anonymous: 'sig' }),
        domainRequest(machine, {}, { signWith: other.privateKey }),
        REQ_SIGNATURE_INVALID,
      );
      // A valid request whose payload was changed after signing.
      const [header, , signature] = domainRequest(machine).split('.') as [string, string, string];
      const altered = b64json({ ver: 5, op: 'join', mt: machine.machineToken, mid: messageId(), iat: nowSeconds() });
      await rejected(joinUrl({ anonymous: 'sig' }), `${header}.${altered}.${signature}`, REQ_SIGNATURE_INVALID);
      // A truncated signature.
      await rejected(
        joinUrl({ anonymous: 'sig' }),
        `${header}.${altered}.${signature.slice(0, 40)}`,
        REQ_SIGNATURE_INVALID,
      );
      // The error echoes the version of the path.
      await rejected(
        joinUrl({ anonymous: 'sig' }, 3),
        domainRequest(machine, { ver: 3 }, { signWith: other.privateKey }),
        { ...REQ_SIGNATURE_INVALID, ver: 3 },
      );
    });

    it('102 REQ_REPLAYED: a message id is accepted once per machine', async () => {
      const machine = await newMachine();
      const mid = messageId();
      const first = domainRequest(machine, { mid });
      await accepted(joinUrl({ anonymous: 'replay' }), first);
      await rejected(joinUrl({ anonymous: 'replay' }), first, REQ_REPLAYED);
      await rejected(
        joinUrl({ anonymous: 'replay' }),
        domainRequest(machine, { mid, iat: nowSeconds() - 5 }),
        REQ_REPLAYED,
      );
      // The same id on another path and operation is a replay too.
      await rejected(leaveUrl({ anonymous: 'replay' }), leaveRequest(machine, 'preview', { mid }), REQ_REPLAYED);
      await rejected(leaveUrl({ anonymous: 'other' }, 3), leaveRequest(machine, 'commit', { mid, ver: 3 }), {
        ...REQ_REPLAYED,
        ver: 3,
      });
      // Another machine may use the same id.
      const other = await newMachine();
      await accepted(joinUrl({ anonymous: 'replay' }), domainRequest(other, { mid }));
      // A leave preview is remembered as well.
      const previewMid = messageId();
      await accepted(leaveUrl({ anonymous: 'replay' }), leaveRequest(machine, 'preview', { mid: previewMid }));
      await rejected(
        leaveUrl({ anonymous: 'replay' }),
        leaveRequest(machine, 'commit', { mid: previewMid }),
        REQ_REPLAYED,
      );
    });

    it('103 REQ_TIMESTAMP_OUT_OF_RANGE: iat too far in the past or the future', async () => {
      const machine = await newMachine();
      for (const iat of [nowSeconds() - 1000, nowSeconds() + 1000, 0]) {
        await rejected(joinUrl({ anonymous: 'clock' }), domainRequest(machine, { iat }), REQ_TIMESTAMP_OUT_OF_RANGE);
      }
      await rejected(
        leaveUrl({}),
        leaveRequest(machine, 'preview', { iat: nowSeconds() - 1000, at: await token('clock') }),
        REQ_TIMESTAMP_OUT_OF_RANGE,
      );
      // Within the tolerance is fine.
      await accepted(joinUrl({ anonymous: 'clock' }), domainRequest(machine, { iat: nowSeconds() - 120 }));
    });

    it('105 REQ_UNSUPPORTED_VERSION: path and ver disagree, or ver is unknown', async () => {
      const machine = await newMachine();
      await rejected(joinUrl({ anonymous: 'versions' }, 3), domainRequest(machine, { ver: 5 }), {
        ...REQ_UNSUPPORTED_VERSION,
        ver: 3,
      });
      await rejected(
        joinUrl({ anonymous: 'versions' }, 5),
        domainRequest(machine, { ver: 3 }),
        REQ_UNSUPPORTED_VERSION,
      );
      await rejected(
        joinUrl({ anonymous: 'versions' }, 5),
        domainRequest(machine, { ver: 4 }),
        REQ_UNSUPPORTED_VERSION,
      );
      await rejected(joinUrl({ anonymous: 'versions' }, 3), domainRequest(machine, { ver: 4 }), {
        ...REQ_UNSUPPORTED_VERSION,
        ver: 3,
      });
      await rejected(
        joinUrl({}, 5),
        domainRequest(machine, { ver: 6, at: await token('versions') }),
        REQ_UNSUPPORTED_VERSION,
      );
      await rejected(leaveUrl({ anonymous: 'versions' }, 3), leaveRequest(machine, 'preview', { ver: 5 }), {
        ...REQ_UNSUPPORTED_VERSION,
        ver: 3,
      });
    });

    describe('110 REQ_AUTH_TOKEN_INVALID_EXPIRED', () => {
      let machine: TestMachine;
      before(async () => {
        machine = await newMachine();
      });

      it('accepts a valid token of each trusted issuer (control)', async () => {
        const local = await accepted(joinUrl({}), domainRequest(machine, { at: await token('dave') }));
        assert.equal(local.domain.name, 'tve:dave');
        const extra = await accepted(joinUrl({}), domainRequest(machine, { at: await authToken({ sub: 'erin' }) }));
        assert.equal(extra.domain.name, 'tve:erin');
      });

      it('refuses a token of an untrusted issuer', async () => {
        const untrusted = await authToken({ iss: 'somebody-else' }, p256().privateKey);
        await rejected(joinUrl({}), domainRequest(machine, { at: untrusted }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
      });

      it('refuses an expired token', async () => {
        const expired = await authToken({ exp: nowSeconds() - 3600 });
        await rejected(joinUrl({}), domainRequest(machine, { at: expired }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
        const expiredLocal = await server.domus.localIssuer.mint({
          subject: 'dave',
          namespace: 'tve',
          ttlSeconds: -3600,
        });
        await rejected(joinUrl({}), domainRequest(machine, { at: expiredLocal }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
        await rejected(
          leaveUrl({}),
          leaveRequest(machine, 'preview', { at: expiredLocal }),
          REQ_AUTH_TOKEN_INVALID_EXPIRED,
        );
      });

      it('refuses a token that is not valid yet', async () => {
        const early = await authToken({ nbf: nowSeconds() + 3600, exp: nowSeconds() + 7200 });
        await rejected(joinUrl({}), domainRequest(machine, { at: early }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
      });

      it('refuses a token with a bad signature', async () => {
        // Claims to be the local issuer, signed by another key.
        const forged = await authToken({ iss: server.domus.localIssuer.issuer }, p256().privateKey);
        await rejected(joinUrl({}), domainRequest(machine, { at: forged }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
        // A genuine token whose subject was changed after signing.
        const [header, , signature] = (await token('dave')).split('.') as [string, string, string];
        const claims = { iss: server.domus.localIssuer.issuer, sub: 'mallory', nq: 'tve', exp: nowSeconds() + 600 };
        const altered = `${header}.${b64json(claims)}.${signature}`;
        await rejected(joinUrl({}), domainRequest(machine, { at: altered }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
      });

      it('refuses garbage and tokens without the claims it needs', async () => {
        await rejected(joinUrl({}), domainRequest(machine, { at: 'garbage' }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
        const noNamespace = await authToken({ nq: undefined });
        await rejected(joinUrl({}), domainRequest(machine, { at: noNamespace }), REQ_AUTH_TOKEN_INVALID_EXPIRED);
      });

      it('refuses a bad token where an anonymous domain needs one, and ignores it where none is needed (issue 9)', async () => {
        await accepted(joinUrl({ anonymous: 'open-house' }), domainRequest(machine));
        await adminPut('anonymous', 'guarded-house', { authRequired: true });
        await accepted(joinUrl({ anonymous: 'guarded-house' }), domainRequest(machine, { at: await token('dave') }));
        const expired = await authToken({ exp: nowSeconds() - 3600 });
        const untrusted = await authToken({ iss: 'somebody-else' }, p256().privateKey);
        const forged = await authToken({ iss: AUTH_ISSUER }, p256().privateKey);
        for (const at of [expired, untrusted, forged, 'garbage']) {
          await rejected(
            joinUrl({ anonymous: 'guarded-house' }),
            domainRequest(machine, { at }),
            REQ_AUTH_TOKEN_INVALID_EXPIRED,
          );
          await rejected(
            leaveUrl({ anonymous: 'guarded-house' }),
            leaveRequest(machine, 'commit', { at }),
            REQ_AUTH_TOKEN_INVALID_EXPIRED,
          );
          // Where none is required, a token sent anyway is not consulted at all
          // (docs/domain-protocol.md §6).
          await accepted(joinUrl({ anonymous: 'open-house' }), domainRequest(machine, { at }));
          await accepted(leaveUrl({ anonymous: 'open-house' }), leaveRequest(machine, 'preview', { at }));
        }
      });
    });

    describe('111 REQ_MACHINE_TOKEN_INVALID_EXPIRED', () => {
      let machine: TestMachine;
      before(async () => {
        machine = await newMachine();
      });

      it('accepts a valid token of the extra trusted machine-token issuer (control)', async () => {
        const answer = await accepted(
          joinUrl({ anonymous: 'machine-tokens' }),
          domainRequest(machine, { mt: foreignMachineToken(machine) }),
        );
        assert.equal(answer.member.guid, machine.guid);
      });

      it('refuses garbage', async () => {
        for (const mt of ['garbage', 'a.b.c', machine.machineToken.split('.').slice(0, 2).join('.')]) {
          await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt }), {
            ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
          });
        }
      });

      it('refuses a token signed by another key', async () => {
        const foreign = p256().privateKey;
        // Claims to come from this server's individualization issuer.
        const asServer = foreignMachineToken(machine, { iss: 'domus-indiv' }, foreign);
        await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt: asServer }), {
          ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        });
        // Claims to come from the extra trusted issuer.
        const asExtra = foreignMachineToken(machine, {}, foreign);
        await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt: asExtra }), {
          ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        });
        // A genuine token whose machine ID was changed after signing.
        const [header, payload, signature] = machine.machineToken.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        const altered = `${header}.${b64json({ ...claims, mid: simulatedComponents('elsewhere') })}.${signature}`;
        await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt: altered }), {
          ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        });
      });

      it('refuses a token of an untrusted issuer', async () => {
        const untrusted = foreignMachineToken(machine, { iss: 'nobody' });
        await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt: untrusted }), {
          ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        });
      });

      it('refuses an expired token, and one not valid yet', async () => {
        const expired = foreignMachineToken(machine, { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 });
        await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt: expired }), {
          ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        });
        await rejected(
          leaveUrl({ anonymous: 'machine-tokens' }),
          leaveRequest(machine, 'preview', { mt: expired }),
          REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        );
        const early = foreignMachineToken(machine, { nbf: nowSeconds() + 3600 });
        await rejected(joinUrl({ anonymous: 'machine-tokens' }), domainRequest(machine, { mt: early }), {
          ...REQ_MACHINE_TOKEN_INVALID_EXPIRED,
        });
      });

      it('refuses a token with bad claims', async () => {
        for (const claims of [
          { sub: 'not-a-uuid' },
          { mid: ['too', 'few'] },
          { cnf: {} },
          { cnf: { jwk: { ...publicJwk(machine.privateKey), d: 'secret' } } },
          { exp: undefined },
        ]) {
          await rejected(
            joinUrl({ anonymous: 'machine-tokens' }),
            domainRequest(machine, { mt: foreignMachineToken(machine, claims) }),
            REQ_MACHINE_TOKEN_INVALID_EXPIRED,
          );
        }
      });
    });

    describe('401 DEREG_DENIED', () => {
      it('refuses a machine that is not a member of the anonymous domain', async () => {
        const member = await newMachine();
        const stranger = await newMachine();
        await accepted(joinUrl({ anonymous: 'dereg' }), domainRequest(member));
        for (const phase of ['preview', 'commit']) {
          await rejected(leaveUrl({ anonymous: 'dereg' }), leaveRequest(stranger, phase), DEREG_DENIED);
        }
        // A member of another domain is not a member of this one.
        await accepted(joinUrl({ anonymous: 'dereg-other' }), domainRequest(stranger));
        await rejected(leaveUrl({ anonymous: 'dereg' }), leaveRequest(stranger, 'commit'), DEREG_DENIED);
        // Nor is a machine that has left already.
        await accepted(leaveUrl({ anonymous: 'dereg' }), leaveRequest(member, 'commit'));
        await rejected(leaveUrl({ anonymous: 'dereg' }), leaveRequest(member, 'preview'), DEREG_DENIED);
        await rejected(leaveUrl({ anonymous: 'dereg' }, 3), leaveRequest(member, 'commit', { ver: 3 }), {
          ...DEREG_DENIED,
          ver: 3,
        });
      });

      it('refuses a leave of a domain that does not exist', async () => {
        const machine = await newMachine();
        for (const phase of ['preview', 'commit']) {
          await rejected(leaveUrl({ anonymous: 'never-created' }), leaveRequest(machine, phase), DEREG_DENIED);
          await rejected(leaveUrl({}), leaveRequest(machine, phase, { at: await token('nobody-yet') }), DEREG_DENIED);
        }
        // An anonymous domain of that name is not the identity domain.
        await accepted(joinUrl({ anonymous: 'tve:frank' }), domainRequest(machine));
        await rejected(leaveUrl({}), leaveRequest(machine, 'commit', { at: await token('frank') }), DEREG_DENIED);
      });

      it('refuses, in identity mode, a machine that matches no member machine', async () => {
        const at = await token('grace');
        const member = await newMachine();
        const stranger = await newMachine();
        await accepted(joinUrl({}), domainRequest(member, { at }));
        for (const phase of ['preview', 'commit']) {
          await rejected(leaveUrl({}), leaveRequest(stranger, phase, { at }), DEREG_DENIED);
        }
        // A member of another user's domain is not a member of this one.
        await rejected(leaveUrl({}), leaveRequest(member, 'commit', { at: await token('heidi') }), DEREG_DENIED);
      });

      it('refuses, in identity mode, a registration whose machine ID does not match its member machine', async () => {
        const at = await token('ivan');
        const member = await newMachine();
        await accepted(joinUrl({}), domainRequest(member, { at }));
        // The member's GUID and key, vouched for by a trusted issuer, on another physical machine.
        const moved = foreignMachineToken(member, { mid: simulatedComponents('another-machine') });
        for (const phase of ['preview', 'commit']) {
          await rejected(leaveUrl({}), leaveRequest(member, phase, { at, mt: moved }), DEREG_DENIED);
        }
        // The same GUID on the same machine is fine (control).
        const same = foreignMachineToken(member);
        await accepted(leaveUrl({}), leaveRequest(member, 'preview', { at, mt: same }));
      });

      it('refuses, in identity mode, a second app on a member machine that never joined', async () => {
        const at = await token('judy');
        const components = simulatedComponents(messageId());
        const first = await newMachine(components);
        const second = await newMachine(components);
        await accepted(joinUrl({}), domainRequest(first, { at }));
        for (const phase of ['preview', 'commit']) {
          await rejected(leaveUrl({}), leaveRequest(second, phase, { at }), DEREG_DENIED);
        }
      });
    });

    describe('501 DOM_REG_DENIED', () => {
      it('refuses a re-join that names another domain', async () => {
        const machine = await newMachine();
        await accepted(joinUrl({ anonymous: 'home-a' }), domainRequest(machine));
        await accepted(joinUrl({ anonymous: 'home-a' }), domainRequest(machine, { dn: 'home-a' }));
        // home-b does not exist yet: the refused join must not create it.
        await rejected(joinUrl({ anonymous: 'home-b' }), domainRequest(machine, { dn: 'home-a' }), DOM_REG_DENIED);
        await accepted(joinUrl({ anonymous: 'home-b' }), domainRequest(await newMachine()));
        await rejected(joinUrl({ anonymous: 'home-b' }, 3), domainRequest(machine, { dn: 'home-a', ver: 3 }), {
          ...DOM_REG_DENIED,
          ver: 3,
        });
        // Identity mode: the name comes from the token.
        const at = await token('kim');
        await rejected(joinUrl({}), domainRequest(machine, { at, dn: 'home-a' }), DOM_REG_DENIED);
        await rejected(joinUrl({}), domainRequest(machine, { at, dn: 'tve:someone-else' }), DOM_REG_DENIED);
        await accepted(joinUrl({}), domainRequest(machine, { at, dn: 'tve:kim' }));
      });

      it('refuses joins of a disabled domain, from new machines and members alike', async () => {
        const member = await newMachine();
        await accepted(joinUrl({ anonymous: 'closing' }), domainRequest(member));
        await adminPut('anonymous', 'closing', { disabled: true });
        await rejected(joinUrl({ anonymous: 'closing' }), domainRequest(member), DOM_REG_DENIED);
        await rejected(joinUrl({ anonymous: 'closing' }), domainRequest(await newMachine()), DOM_REG_DENIED);
        // A domain created disabled.
        await adminPut('anonymous', 'closed', { disabled: true });
        await rejected(joinUrl({ anonymous: 'closed' }), domainRequest(member), DOM_REG_DENIED);
        // Identity domain disabled by the operator.
        const at = await token('leo');
        await accepted(joinUrl({}), domainRequest(member, { at }));
        await adminPut('identity', 'tve:leo', { disabled: true });
        await rejected(joinUrl({}), domainRequest(member, { at }), DOM_REG_DENIED);
        // Enabled again, it admits.
        await adminPut('anonymous', 'closing', { disabled: false });
        await accepted(joinUrl({ anonymous: 'closing' }), domainRequest(member));
      });
    });

    it('502 DOM_LIMIT_REACHED: a full domain admits no new machine', async () => {
      const first = await newMachine();
      await adminPut('anonymous', 'small', { maxMembership: 1 });
      await accepted(joinUrl({ anonymous: 'small' }), domainRequest(first));
      const second = await newMachine();
      await rejected(joinUrl({ anonymous: 'small' }), domainRequest(second), DOM_LIMIT_REACHED);
      await rejected(joinUrl({ anonymous: 'small' }, 3), domainRequest(second, { ver: 3 }), {
        ...DOM_LIMIT_REACHED,
        ver: 3,
      });
      // In anonymous mode every individualization is a member, even on the same machine.
      const sameMachine = await newMachine(first.components);
      await rejected(joinUrl({ anonymous: 'small' }), domainRequest(sameMachine), DOM_LIMIT_REACHED);
      // A member re-joins a full domain.
      await accepted(joinUrl({ anonymous: 'small' }), domainRequest(first));
      // A limit lowered below the member count admits nobody new.
      await accepted(joinUrl({ anonymous: 'shrinking' }), domainRequest(first));
      await accepted(joinUrl({ anonymous: 'shrinking' }), domainRequest(second));
      await adminPut('anonymous', 'shrinking', { maxMembership: 1 });
      await rejected(joinUrl({ anonymous: 'shrinking' }), domainRequest(sameMachine), DOM_LIMIT_REACHED);
      // A limit of zero admits nobody at all.
      await adminPut('anonymous', 'zero', { maxMembership: 0 });
      await rejected(joinUrl({ anonymous: 'zero' }), domainRequest(first), DOM_LIMIT_REACHED);
    });

    describe('503 DOM_AUTHENTICATION_REQUIRED', () => {
      it('refuses identity-mode joins and leaves without a token', async () => {
        const machine = await newMachine();
        await rejected(joinUrl({}), domainRequest(machine), DOM_AUTHENTICATION_REQUIRED);
        await rejected(joinUrl({}, 3), domainRequest(machine, { ver: 3 }), { ...DOM_AUTHENTICATION_REQUIRED, ver: 3 });
        await accepted(joinUrl({}), domainRequest(machine, { at: await token('mia') }));
        for (const phase of ['preview', 'commit']) {
          await rejected(leaveUrl({}), leaveRequest(machine, phase), DOM_AUTHENTICATION_REQUIRED);
        }
      });

      it('refuses an anonymous domain with authRequired without a token', async () => {
        const machine = await newMachine();
        await adminPut('anonymous', 'members-only', { authRequired: true });
        await rejected(joinUrl({ anonymous: 'members-only' }), domainRequest(machine), DOM_AUTHENTICATION_REQUIRED);
        await accepted(joinUrl({ anonymous: 'members-only' }), domainRequest(machine, { at: await token('nick') }));
        for (const phase of ['preview', 'commit']) {
          await rejected(
            leaveUrl({ anonymous: 'members-only' }),
            leaveRequest(machine, phase),
            DOM_AUTHENTICATION_REQUIRED,
          );
        }
      });

      it('refuses a token of another namespace where the domain names one', async () => {
        const machine = await newMachine();
        await adminPut('anonymous', 'tve-only', { authRequired: true, authNamespace: 'tve' });
        const otherNamespace = await token('olga', 'cable');
        await rejected(
          joinUrl({ anonymous: 'tve-only' }),
          domainRequest(machine, { at: otherNamespace }),
          DOM_AUTHENTICATION_REQUIRED,
        );
        await rejected(joinUrl({ anonymous: 'tve-only' }), domainRequest(machine), DOM_AUTHENTICATION_REQUIRED);
        await accepted(joinUrl({ anonymous: 'tve-only' }), domainRequest(machine, { at: await token('olga', 'tve') }));
        await rejected(
          leaveUrl({ anonymous: 'tve-only' }),
          leaveRequest(machine, 'commit', { at: otherNamespace }),
          DOM_AUTHENTICATION_REQUIRED,
        );
      });
    });

    describe('individualization errors', () => {
      const indivUrl = () => `${server.url}/flashaccess/indiv/v1`;

      function indivRequest(
        payload: Record<string, unknown> = {},
        options: { header?: Record<string, unknown>; signWith?: KeyObject } = {},
      ): string {
        const pair = p256();
        const body: Record<string, unknown> = {
          components: simulatedComponents(messageId()),
          iat: nowSeconds(),
          mid: messageId(),
          ...payload,
        };
        for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
        return signEs256(
          { typ: 'domus-indiv+jws', jwk: publicJwk(pair.publicKey), ...options.header },
          body,
          options.signWith ?? pair.privateKey,
        );
      }

      it('issues a machine token for a good request (control)', async () => {
        const answer = await accepted(indivUrl(), indivRequest());
        assert.equal(typeof answer.machineToken, 'string');
        assert.match(answer.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      });

      it('refuses a bad number or shape of components', async () => {
        const digests = (n: number) => Array.from({ length: n }, (_, i) => simulatedComponents(`c${i}`)[0]);
        for (const components of [
          [],
          digests(2),
          digests(17),
          undefined,
          'one string',
          [...digests(2), 'not-a-digest'],
          [...digests(2), 42],
        ]) {
          await rejected(indivUrl(), indivRequest({ components }), REQ_MALFORMED);
        }
        await accepted(indivUrl(), indivRequest({ components: digests(3) }));
        await accepted(indivUrl(), indivRequest({ components: digests(16) }));
      });

      it('refuses a bad signature', async () => {
        await rejected(indivUrl(), indivRequest({}, { signWith: p256().privateKey }), REQ_SIGNATURE_INVALID);
      });

      it('refuses a wrong protected header', async () => {
        await rejected(indivUrl(), indivRequest({}, { header: { typ: 'domus-domain+jws' } }), REQ_MALFORMED);
        await rejected(indivUrl(), indivRequest({}, { header: { jwk: undefined } }), REQ_MALFORMED);
        const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
        await rejected(indivUrl(), indivRequest({}, { header: { jwk: rsa } }), REQ_MALFORMED);
        const pair = p256();
        const withPrivate = pair.privateKey.export({ format: 'jwk' });
        await rejected(
          indivUrl(),
          indivRequest({}, { header: { jwk: withPrivate }, signWith: pair.privateKey }),
          REQ_MALFORMED,
        );
      });

      it('refuses a bad body, message id, timestamp or Content-Type, and a replay', async () => {
        await rejected(indivUrl(), 'not a jws', REQ_MALFORMED);
        await rejected(indivUrl(), indivRequest({ mid: 'short' }), REQ_MALFORMED);
        await rejected(indivUrl(), indivRequest({ iat: 'now' }), REQ_MALFORMED);
        await rejected(indivUrl(), indivRequest({ iat: nowSeconds() - 1000 }), REQ_TIMESTAMP_OUT_OF_RANGE);
        await rejected(indivUrl(), indivRequest(), REQ_MALFORMED, 'application/json');
        const once = indivRequest();
        await accepted(indivUrl(), once);
        await rejected(indivUrl(), once, REQ_REPLAYED);
      });
    });
  });
}
