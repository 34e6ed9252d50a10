/**
 * issue 9, finding 8: every JWS Domus reads is refused when its protected header carries `crit`
 * (RFC 7515 §4.1.11: a recipient refuses extensions it does not understand, and Domus
 * understands none) and when a segment is not canonical base64url (the unused low bits of its
 * last character set: a second spelling of the same bytes, which verified before). Domain
 * requests, machine tokens, individualization, auth tokens, software statements, access tokens
 * and media tokens, on every database.
 */
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, type JSONWebKeySet, type JWK } from 'jose';
import { MvpdError } from '../src/entitlements/mvpd/errors.js';
import { OidcConnectors } from '../src/entitlements/mvpd/oidc-connector.js';
import {
  MEDIA_TOKEN_ISSUER,
  MEDIA_TOKEN_TYPE,
  verifyMediaToken,
} from '../src/entitlements/tokens/media-token-verifier.js';
import { decodeJws, es256Signature, jwsSegment, signEs256 } from '../src/platform/crypto/es256.js';
import { newP256KeyPair } from '../src/platform/crypto/p256.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import {
  domainRequest,
  individualize,
  messageId,
  nowSeconds,
  post,
  protocolUrl,
  type TestMachine,
} from './support/machines.js';
import { accessToken, call, softwareStatement } from './support/pass-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { snapshot } from './support/snapshot.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes spelled otherwise: the lowest unused bit of the last character set. */
function twinSegment(segment: string): string {
  assert.notEqual(segment.length % 4, 0, 'a segment without unused bits has no twin');
  const twin = segment.slice(0, -1) + ALPHABET[ALPHABET.indexOf(segment.at(-1) as string) ^ 1];
  assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(segment, 'base64url'), 'the twin decodes the same');
  return twin;
}

/** The JWS with its signature spelled non-canonically (ES256: 86 characters, 4 unused bits). */
function twinSignature(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  return `${header}.${payload}.${twinSegment(signature)}`;
}

/** An ES256 JWS whose payload segment is spelled non-canonically, and signed so. */
function nonCanonicalPayload(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject) {
  let padded = payload;
  for (let filler = ''; jwsSegment(padded).length % 4 === 0; filler += 'x') padded = { ...payload, filler };
  const input = `${jwsSegment({ ...header, alg: 'ES256' })}.${twinSegment(jwsSegment(padded))}`;
  return `${input}.${es256Signature(input, key)}`;
}

/** A header naming a critical extension: `b64` (RFC 7797) is the one jose understands. */
const CRIT = { crit: ['b64'], b64: true };
const CRIT_UNKNOWN = { crit: ['urn:example:ext'], 'urn:example:ext': 1 };

describe('compact JWS form (issue 9)', () => {
  const key = newP256KeyPair().privateKey;

  it('decodeJws refuses a crit header and non-canonical segments', () => {
    const valid = signEs256({ typ: 'x' }, { a: 1 }, key);
    assert.ok(decodeJws(valid), 'control');
    assert.equal(decodeJws(signEs256({ typ: 'x', ...CRIT }, { a: 1 }, key)), null);
    assert.equal(decodeJws(signEs256({ typ: 'x', crit: [] }, { a: 1 }, key)), null);
    assert.equal(decodeJws(twinSignature(valid)), null);
    assert.equal(decodeJws(nonCanonicalPayload({ typ: 'x' }, { a: 1 }, key)), null);
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    assert.equal(decodeJws(`${header}.${payload}.${signature}AAA`), null, 'a length of 4n + 1 is no base64url');
    assert.equal(decodeJws(`${header}=.${payload}.${signature}`), null, 'no padding');
  });

  it('the media token verifier refuses them as INVALID_TOKEN_FORMAT', async () => {
    const pair = newP256KeyPair();
    const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES256' };
    const jwks: JSONWebKeySet = { keys: [jwk] };
    const now = nowSeconds();
    const claims = {
      iss: MEDIA_TOKEN_ISSUER,
      requestor: 'REF',
      resource: 'REF',
      mvpd: 'Cable',
      sid: 's',
      jti: messageId(),
      iat: now,
      exp: now + 300,
    };
    const header = { typ: MEDIA_TOKEN_TYPE, kid: 'k1' };
    const serialize = (jws: string) => Buffer.from(jws).toString('base64');
    const verify = async (jws: string) => (await verifyMediaToken(serialize(jws), { jwks, resource: 'REF' })).status;
    const valid = signEs256(header, claims, pair.privateKey);
    assert.equal(await verify(valid), 'VALID_TOKEN', 'control');
    assert.equal(await verify(twinSignature(valid)), 'INVALID_TOKEN_FORMAT');
    assert.equal(await verify(nonCanonicalPayload(header, claims, pair.privateKey)), 'INVALID_TOKEN_FORMAT');
    assert.equal(await verify(signEs256({ ...header, ...CRIT }, claims, pair.privateKey)), 'INVALID_TOKEN_FORMAT');
    assert.equal(
      await verify(signEs256({ ...header, ...CRIT_UNKNOWN }, claims, pair.privateKey)),
      'INVALID_TOKEN_FORMAT',
    );
  });

  it('the OIDC connector refuses such an ID token of an MVPD as invalid_id_token', async () => {
    const issuer = 'https://idp.cable.example';
    const pair = newP256KeyPair();
    const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid: 'k1', alg: 'ES256' };
    const now = nowSeconds();
    const claims = { iss: issuer, aud: 'domus', sub: 'alice', nonce: 'n', iat: now, exp: now + 300 };
    let idToken = '';
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    const connector = new OidcConnectors({
      publicRoot: () => 'https://domus.example',
      fetch: async (url) => {
        if (String(url).endsWith('/token')) return json({ id_token: idToken, token_type: 'Bearer' });
        if (String(url).endsWith('/jwks')) return json({ keys: [jwk] });
        return json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          id_token_signing_alg_values_supported: ['ES256'],
        });
      },
    }).for({
      id: 'Cable',
      connection: { kind: 'oidc', issuer, clientId: 'domus', clientSecret: 's', scopes: ['openid'] },
    });
    const exchange = (token: string) => {
      idToken = token;
      return connector.exchangeCode('code', 'v'.repeat(43), 'n');
    };
    const valid = signEs256({ typ: 'JWT', kid: 'k1' }, claims, pair.privateKey);
    assert.equal((await exchange(valid)).subject, 'alice', 'control');
    for (const bad of [twinSignature(valid), signEs256({ typ: 'JWT', kid: 'k1', ...CRIT }, claims, pair.privateKey)]) {
      await assert.rejects(
        exchange(bad),
        (error) => error instanceof MvpdError && error.failure === 'invalid_id_token',
      );
    }
  });
});

for (const kind of testDatabases()) {
  describe(`JWS crit and canonical base64url on ${kind.name} (issue 9)`, () => {
    let db: TestDatabase;
    let server: TestServer;
    let machine: TestMachine;
    /** Server keys, read from the key store, to sign tokens as the server would but with other headers. */
    const serverKey = async (name: string) =>
      (
        await server.domus.keyStore.loadOrCreate<JWK>(name, async () => {
          throw new Error(`no server key ${name}`);
        })
      ).privateKey;

    before(async () => {
      db = await kind.create();
      server = await startTestServer(db, { DOMUS_DEMO: 'true' });
      machine = await individualize(server.url);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    const joinUrl = (name: string) => protocolUrl(server.url, 'join', { anonymous: name });

    /** Posts a domain-protocol body that must be refused with `name` and change nothing. */
    async function refused(url: string, body: string, name: string) {
      const state = await snapshot(server.domus.storage);
      const answer = await post(url, body);
      assert.equal(answer.body?.error?.name, name, JSON.stringify(answer.body));
      assert.deepEqual(await snapshot(server.domus.storage), state, 'a refused request changed stored state');
    }

    describe('domain requests: REQ_MALFORMED', () => {
      it('refuses a protected header with crit', async () => {
        assert.equal((await post(joinUrl('crit-control'), domainRequest(machine))).status, 200, 'control');
        for (const header of [CRIT, CRIT_UNKNOWN, { crit: [] }]) {
          await refused(joinUrl('crit'), domainRequest(machine, {}, { header }), 'REQ_MALFORMED');
        }
      });

      it('refuses a non-canonical signature, and a non-canonical payload even when signed so', async () => {
        await refused(joinUrl('twin'), twinSignature(domainRequest(machine)), 'REQ_MALFORMED');
        const payload = { ver: 5, op: 'join', mt: machine.machineToken, mid: messageId(), iat: nowSeconds() };
        const body = nonCanonicalPayload({ typ: 'domus-domain+jws' }, payload, machine.privateKey);
        await refused(joinUrl('twin'), body, 'REQ_MALFORMED');
      });
    });

    describe('machine tokens: REQ_MACHINE_TOKEN_INVALID_EXPIRED', () => {
      it('refuses a machine token with a non-canonical signature or a crit header', async () => {
        const mt = twinSignature(machine.machineToken);
        await refused(joinUrl('mt'), domainRequest(machine, { mt }), 'REQ_MACHINE_TOKEN_INVALID_EXPIRED');
        const claims = decodeJws(machine.machineToken)?.payload as Record<string, unknown>;
        const kid = decodeProtectedHeader(machine.machineToken).kid;
        const indiv = await serverKey('indiv');
        const control = signEs256({ typ: 'JWT', kid }, claims, indiv);
        assert.equal((await post(joinUrl('mt'), domainRequest(machine, { mt: control }))).status, 200, 'control');
        const critical = signEs256({ typ: 'JWT', kid, ...CRIT }, claims, indiv);
        await refused(joinUrl('mt'), domainRequest(machine, { mt: critical }), 'REQ_MACHINE_TOKEN_INVALID_EXPIRED');
      });
    });

    describe('individualization: REQ_MALFORMED', () => {
      const indivUrl = () => `${server.url}/flashaccess/indiv/v1`;
      const indivRequest = (header: Record<string, unknown> = {}) => {
        const pair = newP256KeyPair();
        return signEs256(
          { typ: 'domus-indiv+jws', jwk: pair.publicKey.export({ format: 'jwk' }), ...header },
          { components: machine.components, iat: nowSeconds(), mid: messageId() },
          pair.privateKey,
        );
      };

      it('refuses a crit header and a non-canonical signature', async () => {
        assert.equal((await post(indivUrl(), indivRequest())).status, 200, 'control');
        await refused(indivUrl(), indivRequest(CRIT), 'REQ_MALFORMED');
        await refused(indivUrl(), twinSignature(indivRequest()), 'REQ_MALFORMED');
      });
    });

    describe('auth tokens: REQ_AUTH_TOKEN_INVALID_EXPIRED', () => {
      it('refuses an auth token with a non-canonical signature or a crit header', async () => {
        const identity = protocolUrl(server.url, 'join', {});
        const at = await server.domus.localIssuer.mint({ subject: 'jws', namespace: 'tve', ttlSeconds: 600 });
        assert.equal((await post(identity, domainRequest(machine, { at }))).status, 200, 'control');
        await refused(identity, domainRequest(machine, { at: twinSignature(at) }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
        const local = await serverKey('auth-issuer-local');
        const claims = decodeJws(at)?.payload as Record<string, unknown>;
        const kid = decodeProtectedHeader(at).kid;
        for (const header of [CRIT, CRIT_UNKNOWN]) {
          const critical = signEs256({ typ: 'JWT', kid, ...header }, claims, local);
          await refused(identity, domainRequest(machine, { at: critical }), 'REQ_AUTH_TOKEN_INVALID_EXPIRED');
        }
      });
    });

    describe('entitlement API', () => {
      const registrations = async () =>
        (await server.domus.storage.db.selectFrom('client_registrations').selectAll().execute()).length;
      const register = (statement: string) =>
        call(server.url, 'POST', '/o/client/register', { json: { software_statement: statement } });

      it('refuses a software statement with a non-canonical signature or a crit header', async () => {
        const statement = await softwareStatement(server.admin);
        const claims = decodeJws(statement)?.payload as Record<string, unknown>;
        const kid = decodeProtectedHeader(statement).kid;
        const key = await serverKey('software-statements');
        assert.equal((await register(signEs256({ typ: 'JWT', kid }, claims, key))).status, 201, 'control');
        const before = await registrations();
        for (const bad of [twinSignature(statement), signEs256({ typ: 'JWT', kid, ...CRIT }, claims, key)]) {
          const answer = await register(bad);
          assert.equal(answer.status, 400, JSON.stringify(answer.body));
          assert.equal(answer.body.error, 'invalid_software_statement');
        }
        assert.equal(await registrations(), before, 'nothing registered');
      });

      it('refuses an access token with a non-canonical signature or a crit header', async () => {
        const configuration = '/api/v2/DemoChannel/configuration';
        const { token } = await accessToken(server.url, server.admin);
        assert.equal((await call(server.url, 'GET', configuration, { token })).status, 200, 'control');
        const claims = decodeJws(token)?.payload as Record<string, unknown>;
        const header = decodeProtectedHeader(token);
        const key = await serverKey('entitlement-access-tokens');
        const resigned = signEs256({ typ: header.typ, kid: header.kid }, claims, key);
        assert.equal((await call(server.url, 'GET', configuration, { token: resigned })).status, 200, 'control');
        const critical = signEs256({ typ: header.typ, kid: header.kid, ...CRIT }, claims, key);
        for (const bad of [twinSignature(token), critical]) {
          const answer = await call(server.url, 'GET', configuration, { token: bad });
          assert.equal(answer.status, 401, JSON.stringify(answer.body));
          assert.equal(answer.body.code, 'invalid_access_token_client_application');
        }
      });
    });
  });
}
