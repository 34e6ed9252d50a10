/**
 * SAML 2.0 MVPDs (docs/entitlement-api.md, "SAML MVPDs") against a real identity provider,
 * SimpleSAMLphp (support/simplesamlphp.ts), on every database: the operator configures a SAML MVPD
 * and registers Domus's SP metadata at the IdP; a user agent without a browser signs in through the
 * IdP's login form and its auto-posted Response; the profile, decisions and the logout round trip
 * through the IdP's Single Logout follow, every V2 answer checked against Adobe's OpenAPI. Then
 * every way a Response can be wrong — tampered, unsigned, signed by another key, expired, for
 * another audience, recipient or request, replayed, with an unknown RelayState — ends on an error
 * page and changes nothing.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import * as x509 from '@peculiar/x509';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { UserAgentFlows } from '../src/entitlements/user-agent/flow-store.js';
import { Sealer } from '../src/platform/crypto/sealing.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { accessToken } from './support/pass-client.js';
import { assertHtmlPage, device, v2 } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';
import {
  type IdpUser,
  type SimpleSamlIdp,
  selfSignedRsa,
  simpleSamlSkipReason,
  startSimpleSamlIdp,
} from './support/simplesamlphp.js';
import { forms, type Page, UserAgent } from './support/user-agent.js';

const SP = 'DemoChannel';
const MVPD = 'SamlCable';
const REDIRECT = 'http://localhost:3000/signed-in';
const APP_DONE = 'http://localhost:3000/signed-out';
const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

const USERS: IdpUser[] = [
  {
    user: 'alice',
    password: 'alice-password',
    attributes: { userID: 'alice', householdID: 'household-7', channels: ['DemoChannel', 'NewsChannel'] },
  },
  { user: 'carol', password: 'carol-password', attributes: { userID: 'carol', channels: [] as string[] } },
];

const skip = simpleSamlSkipReason();

/** The MVPD as the operator puts it (admin API body). */
function samlMvpd(idp: SimpleSamlIdp, changes: Record<string, unknown> = {}) {
  return {
    displayName: 'SAML Cable',
    logoUrl: 'https://saml-cable.example/logo.png',
    protocol: 'saml',
    connection: {
      kind: 'saml',
      idpEntityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      sloUrl: idp.sloUrl,
      certificates: [idp.certificatePem],
    },
    hasLogoutEndpoint: true,
    authnTtlS: 86_400,
    authzTtlS: 300,
    entitlementClaim: 'channels',
    authNamespace: 'saml-cable.example',
    ...changes,
  };
}

/** A self-signed certificate of an EC P-256 key (Domus verifies RSA signatures only). */
async function ecCertificate(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: [{ CN: ['EC IdP'] }],
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: algorithm,
    keys,
  });
  return certificate.toString('pem');
}

/** The XML of a base64 HTTP-Redirect parameter (DEFLATE). */
const inflate = (value: string) => inflateRawSync(Buffer.from(value, 'base64')).toString('utf8');
const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const serialize = (document: Document) => new XMLSerializer().serializeToString(document);
const first = (document: Document | Element, ns: string, name: string) => {
  const element = document.getElementsByTagNameNS(ns, name)[0];
  assert.ok(element, `<${name}>`);
  return element;
};

/**
 * A Response rewritten: `edit` changes its DOM after every signature is removed; with `signWith`,
 * the assertion is signed again (enveloped, exclusive c14n, RSA-SHA256) with that key.
 */
function rewrite(
  samlResponse: string,
  edit: (document: Document) => void,
  signWith?: { privateKeyPem: string; certificatePem: string },
): string {
  const document = parse(Buffer.from(samlResponse, 'base64').toString('utf8'));
  for (const signature of Array.from(document.getElementsByTagNameNS(DSIG_NS, 'Signature'))) {
    signature.parentNode?.removeChild(signature);
  }
  edit(document);
  let xml = serialize(document);
  if (signWith) {
    const signer = new SignedXml({
      privateKey: signWith.privateKeyPem,
      publicCert: signWith.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    signer.addReference({
      xpath: "//*[local-name(.)='Assertion']",
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    signer.computeSignature(xml, {
      location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
    });
    xml = signer.getSignedXml();
  }
  return Buffer.from(xml).toString('base64');
}

for (const kind of testDatabases()) {
  describe(`SAML MVPDs through SimpleSAMLphp on ${kind.name}`, { skip }, () => {
    let database: TestDatabase;
    let server: TestServer;
    let idp: SimpleSamlIdp;
    let token: string;
    let clientId: string;

    const acsUrl = () => `${server.url}/api/v2/saml-acs/${MVPD}`;
    const profilesByCode = async (code: string) =>
      (await v2(server.url, 'GET', `/api/v2/${SP}/profiles/code/${code}`, { token })).body;
    const findProfile = (deviceId: string) =>
      server.domus.entitlements.profiles.find({ clientId, deviceId, serviceProviderId: SP }, MVPD);
    const profileCount = async () =>
      Number(
        (
          await server.domus.storage.db
            .selectFrom('profiles')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('mvpd_id', '=', MVPD)
            .executeTakeFirstOrThrow()
        ).n,
      );

    /** A session for the device; answers its code and authenticate URL. */
    const newSession = async (headers: Record<string, string>) => {
      const created = await v2(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token,
        headers,
        form: { mvpd: MVPD, domainName: 'localhost', redirectUrl: REDIRECT },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.actionName, 'authenticate');
      return { code: created.body.code as string, url: server.url + created.body.url };
    };

    /**
     * Walks from the authenticate URL through the IdP (signing in when it asks) up to its
     * auto-submitted form to Domus's ACS; answers that form's fields and the redirect to the IdP.
     */
    const walkToAcsForm = async (agent: UserAgent, authenticateUrl: string, user?: IdpUser) => {
      const start = await agent.get(authenticateUrl);
      assert.equal(start.status, 302, start.body);
      const toIdp = new URL(start.location ?? '');
      let page = await agent.follow(await agent.get(toIdp.href));
      assert.equal(typeof page, 'object');
      let login = forms((page as Page).body).find((form) => 'password' in form.fields);
      const askedPassword = login !== undefined;
      if (login) {
        assert.ok(user, 'the IdP asks for a password');
        const action = new URL(login.action || (page as Page).url, (page as Page).url).href;
        page = await agent.follow(
          await agent.post(action, { ...login.fields, username: user.user, password: user.password }),
        );
        assert.equal(typeof page, 'object');
        login = forms((page as Page).body).find((form) => 'password' in form.fields);
        assert.equal(login, undefined, `signed in at the IdP:\n${(page as Page).body.slice(0, 2000)}`);
      }
      const post = forms((page as Page).body).find((form) => form.action === acsUrl());
      assert.ok(post, `the IdP's form to the ACS:\n${(page as Page).body.slice(0, 2000)}\n${idp.log().slice(-4000)}`);
      assert.equal(post.method, 'post');
      return { fields: post.fields as { SAMLResponse: string; RelayState: string }, toIdp, askedPassword };
    };

    const postToAcs = (agent: UserAgent, fields: Record<string, string>) => agent.post(acsUrl(), fields);

    before(async () => {
      if (skip) return;
      idp = await startSimpleSamlIdp(USERS);
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      const registered = await accessToken(server.url, server.admin);
      token = registered.token;
      clientId = registered.client.client_id;
      // The operator's setup: the MVPD, its integration, and Domus's metadata at the IdP.
      const put = await server.admin('PUT', `/mvpds/${MVPD}`, samlMvpd(idp));
      assert.equal(put.status, 201, JSON.stringify(put.body));
      assert.equal((await server.admin('PUT', `/integrations/${SP}/${MVPD}`, { active: true })).status, 201);
      const metadata = await fetch(`${server.url}/api/v2/saml-metadata/${MVPD}`);
      assert.equal(metadata.status, 200);
      idp.trustServiceProvider(await metadata.text());
    });
    after(async () => {
      if (skip) return;
      await server?.close();
      await database?.drop();
      await idp?.stop();
    });

    it('keeps the SAML connection and serves Domus’s SP metadata for it', async () => {
      const stored = (await server.admin('GET', `/mvpds/${MVPD}`)).body;
      assert.equal(stored.protocol, 'saml');
      assert.deepEqual(stored.connection, {
        kind: 'saml',
        idpEntityId: idp.entityId,
        ssoUrl: idp.ssoUrl,
        sloUrl: idp.sloUrl,
        certificates: [`${idp.certificatePem.trim()}\n`],
      });
      assert.equal(stored.hasLogoutEndpoint, true);

      const response = await fetch(`${server.url}/api/v2/saml-metadata/${MVPD}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/samlmetadata\+xml/);
      const metadata = await response.text();
      const document = parse(metadata);
      const md = 'urn:oasis:names:tc:SAML:2.0:metadata';
      assert.equal(document.documentElement.getAttribute('entityID'), `${server.url}/api/v2/saml-metadata/${MVPD}`);
      const descriptor = first(document, md, 'SPSSODescriptor');
      assert.equal(descriptor.getAttribute('AuthnRequestsSigned'), 'true');
      assert.equal(descriptor.getAttribute('WantAssertionsSigned'), 'true');
      const acs = first(document, md, 'AssertionConsumerService');
      assert.equal(acs.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
      assert.equal(acs.getAttribute('Location'), acsUrl());
      const slo = first(document, md, 'SingleLogoutService');
      assert.equal(slo.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect');
      assert.equal(slo.getAttribute('Location'), `${server.url}/api/v2/saml-slo/${MVPD}`);
      const spCertificate = first(document, DSIG_NS, 'X509Certificate').textContent?.replace(/\s+/g, '');
      assert.ok(spCertificate);
      const again = await (await fetch(`${server.url}/api/v2/saml-metadata/${MVPD}`)).text();
      assert.equal(
        first(parse(again), DSIG_NS, 'X509Certificate').textContent?.replace(/\s+/g, ''),
        spCertificate,
        'one SP key, kept in the key store',
      );
    });

    it('signs a user in through the IdP: profile, decisions, and the same again without a password', async () => {
      const phone = device('saml-phone');
      const session = await newSession(phone);
      const agent = new UserAgent();
      const { fields, toIdp } = await walkToAcsForm(agent, session.url, USERS[0]);

      // The signed AuthnRequest Domus sent (HTTP-Redirect), and the IdP's answer to it.
      assert.equal(`${toIdp.origin}${toIdp.pathname}`, idp.ssoUrl);
      assert.equal(toIdp.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      assert.ok(toIdp.searchParams.get('Signature'));
      assert.equal(toIdp.searchParams.get('RelayState'), fields.RelayState, 'RelayState comes back');
      const request = parse(inflate(toIdp.searchParams.get('SAMLRequest') ?? '')).documentElement;
      assert.equal(request.localName, 'AuthnRequest');
      assert.equal(request.getAttribute('AssertionConsumerServiceURL'), acsUrl());
      assert.equal(request.getAttribute('Destination'), idp.ssoUrl);
      assert.equal(first(request, ASSERTION_NS, 'Issuer').textContent, `${server.url}/api/v2/saml-metadata/${MVPD}`);
      const response = parse(Buffer.from(fields.SAMLResponse, 'base64').toString('utf8')).documentElement;
      assert.equal(response.getAttribute('InResponseTo'), request.getAttribute('ID'));

      const done = await postToAcs(agent, fields);
      assert.equal(done.status, 303, done.body);
      assert.equal(done.location, REDIRECT);

      const byCode = await profilesByCode(session.code);
      assert.deepEqual(Object.keys(byCode.profiles), [MVPD]);
      const profile = byCode.profiles[MVPD];
      assert.equal(profile.issuer, MVPD);
      assert.equal(profile.notAfter - profile.notBefore, 86_400_000, "the MVPD's authN TTL");
      assert.deepEqual(profile.attributes.userID, { value: 'alice', state: 'plain' });
      assert.deepEqual(profile.attributes.householdID, { value: 'household-7', state: 'plain' });
      const nameId = first(response, ASSERTION_NS, 'NameID').textContent;
      assert.deepEqual(profile.attributes.upstreamUserID, { value: nameId, state: 'plain' }, 'the NameID');
      const listed = await v2(server.url, 'GET', `/api/v2/${SP}/profiles/${MVPD}`, { token, headers: phone });
      assert.deepEqual(listed.body, byCode);

      const stored = await findProfile(Buffer.from('saml-phone').toString('base64'));
      assert.ok(stored);
      assert.deepEqual(stored.upstream.entitlements, ['DemoChannel', 'NewsChannel']);
      assert.equal(stored.upstream.saml?.nameId, nameId);
      assert.equal(stored.upstream.saml?.nameIdFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient');
      assert.equal(
        stored.upstream.saml?.sessionIndex,
        first(response, ASSERTION_NS, 'AuthnStatement').getAttribute('SessionIndex'),
      );
      assert.equal(stored.upstream.idToken, null);

      const decide = (resource: string) =>
        v2(server.url, 'POST', `/api/v2/${SP}/decisions/authorize/${MVPD}`, {
          token,
          headers: phone,
          json: { resources: [resource] },
        });
      const permit = await decide('DemoChannel');
      assert.equal(permit.status, 200, JSON.stringify(permit.body));
      assert.equal(permit.body.decisions[0].authorized, true);
      assert.equal(permit.body.decisions[0].source, 'mvpd');
      assert.ok(permit.body.decisions[0].token.serializedToken);
      const deny = await decide('SportsChannel');
      assert.equal(deny.body.decisions[0].authorized, false);
      assert.equal(deny.body.decisions[0].error.code, 'authorization_denied_by_mvpd');

      // A second sign-in in the same user agent: the IdP's session answers without a password.
      const tablet = device('saml-tablet');
      const second = await newSession(tablet);
      const again = await walkToAcsForm(agent, second.url);
      assert.equal((await postToAcs(agent, again.fields)).location, REDIRECT);
      assert.equal((await profilesByCode(second.code)).profiles[MVPD].attributes.userID.value, 'alice');
    });

    it('logs out through the IdP’s Single Logout and ends at redirectUrl', async () => {
      const tv = device('saml-tv');
      const session = await newSession(tv);
      const agent = new UserAgent();
      const { fields } = await walkToAcsForm(agent, session.url, USERS[0]);
      assert.equal((await postToAcs(agent, fields)).location, REDIRECT);
      const deviceId = Buffer.from('saml-tv').toString('base64');
      const stored = await findProfile(deviceId);
      assert.ok(stored?.upstream.saml);

      const logoutPath = `/api/v2/${SP}/logout/${MVPD}?redirectUrl=${encodeURIComponent(APP_DONE)}`;
      const answer = await v2(server.url, 'GET', logoutPath, { token, headers: tv });
      const entry = answer.body.logouts[MVPD];
      assert.equal(entry.actionName, 'logout');
      assert.equal(entry.actionType, 'interactive');
      assert.match(entry.url, new RegExp(`^${server.url}/api/v2/logout-flow/[A-Za-z0-9_-]{43}$`));
      assert.equal(await findProfile(deviceId), undefined, 'deleted before the answer');

      const start = await agent.get(entry.url);
      assert.equal(start.status, 302, start.body);
      const toIdp = new URL(start.location ?? '');
      assert.equal(`${toIdp.origin}${toIdp.pathname}`, idp.sloUrl);
      assert.ok(toIdp.searchParams.get('Signature'));
      const logoutRequest = parse(inflate(toIdp.searchParams.get('SAMLRequest') ?? '')).documentElement;
      assert.equal(logoutRequest.localName, 'LogoutRequest');
      assert.equal(logoutRequest.getAttribute('Reason'), 'urn:oasis:names:tc:SAML:2.0:logout:user');
      assert.equal(first(logoutRequest, ASSERTION_NS, 'NameID').textContent, stored.upstream.saml.nameId);
      assert.equal(first(logoutRequest, PROTOCOL_NS, 'SessionIndex').textContent, stored.upstream.saml.sessionIndex);

      const sloPath = `${server.url}/api/v2/saml-slo/${MVPD}`;
      const atIdp = await agent.follow(await agent.get(toIdp.href), (url) => url.startsWith(sloPath));
      assert.equal(typeof atIdp, 'string', `the IdP answers at Domus's SLO URL:\n${idp.log().slice(-4000)}`);
      const back = new URL(atIdp as string);
      assert.equal(`${back.origin}${back.pathname}`, sloPath);
      const logoutResponse = parse(inflate(back.searchParams.get('SAMLResponse') ?? '')).documentElement;
      assert.equal(logoutResponse.getAttribute('InResponseTo'), logoutRequest.getAttribute('ID'));

      // A LogoutResponse whose signature does not match is refused and uses nothing up.
      const forged = new URL(back.href);
      forged.searchParams.set('Signature', Buffer.alloc(256, 7).toString('base64'));
      await assertHtmlPage(await new UserAgent().get(forged.href), 500, /could not be verified/);

      const end = await agent.get(back.href);
      assert.equal(end.status, 302, end.body);
      assert.equal(end.location, APP_DONE, "back at the app's redirectUrl");
      await assertHtmlPage(await new UserAgent().get(back.href), 400, /not valid/);

      // Signed out at the IdP too: the next sign-in asks for the password again.
      const next = await newSession(tv);
      const relogin = await walkToAcsForm(agent, next.url, USERS[0]);
      assert.equal(relogin.askedPassword, true);
    });

    it('answers the IdP’s own LogoutRequest (IdP-initiated logout), deleting no profile', async () => {
      const phone = device('saml-idp-logout');
      const session = await newSession(phone);
      const agent = new UserAgent();
      const { fields } = await walkToAcsForm(agent, session.url, USERS[0]);
      assert.equal((await postToAcs(agent, fields)).location, REDIRECT);

      const sloPath = `${server.url}/api/v2/saml-slo/${MVPD}`;
      const finished = `${idp.entityId}?idp-logout-done`; // a URL the IdP allows: its own
      const toDomus = await agent.follow(
        await agent.get(`${idp.url}/saml2/idp/initSLO.php?RelayState=${encodeURIComponent(finished)}`),
        (url) => url.startsWith(sloPath),
      );
      assert.equal(typeof toDomus, 'string', `the IdP sends its LogoutRequest to Domus:\n${idp.log().slice(-4000)}`);
      const request = new URL(toDomus as string);
      assert.ok(request.searchParams.get('SAMLRequest') && request.searchParams.get('Signature'));
      // Unsigned, it is refused.
      const unsigned = new URL(request.href);
      unsigned.searchParams.delete('Signature');
      await assertHtmlPage(await new UserAgent().get(unsigned.href), 400, /could not be verified/);

      const answer = await agent.get(request.href);
      assert.equal(answer.status, 302, answer.body);
      const toIdp = new URL(answer.location ?? '');
      assert.equal(`${toIdp.origin}${toIdp.pathname}`, idp.sloUrl);
      const logoutResponse = parse(inflate(toIdp.searchParams.get('SAMLResponse') ?? '')).documentElement;
      assert.equal(logoutResponse.localName, 'LogoutResponse');
      const logoutRequest = parse(inflate(request.searchParams.get('SAMLRequest') ?? '')).documentElement;
      assert.equal(logoutResponse.getAttribute('InResponseTo'), logoutRequest.getAttribute('ID'));
      assert.equal(
        first(logoutResponse, PROTOCOL_NS, 'StatusCode').getAttribute('Value'),
        'urn:oasis:names:tc:SAML:2.0:status:Success',
      );
      const end = await agent.follow(await agent.get(toIdp.href), (url) => url === finished);
      assert.equal(end, finished, `the IdP accepted Domus's answer:\n${idp.log().slice(-4000)}`);
      assert.ok(await findProfile(Buffer.from('saml-idp-logout').toString('base64')), "the app's profile stays");
      const another = await newSession(device('saml-idp-logout-2'));
      assert.equal((await walkToAcsForm(agent, another.url, USERS[0])).askedPassword, true, 'signed out at the IdP');
    });

    it('refuses every bad Response with an error page and changes nothing', async () => {
      const phone = device('saml-negative');
      const deviceId = Buffer.from('saml-negative').toString('base64');
      const session = await newSession(phone);
      const agent = new UserAgent();
      const { fields } = await walkToAcsForm(agent, session.url, USERS[0]);
      const before = await profileCount();
      const refused = async (form: Record<string, string>, status: number, text: RegExp) => {
        const page = await postToAcs(new UserAgent(), form);
        await assertHtmlPage(page, status, text);
        assert.deepEqual((await profilesByCode(session.code)).profiles, {}, 'no profile');
        assert.equal(await findProfile(deviceId), undefined);
        assert.equal(await profileCount(), before);
      };
      const withAttribute = (name: string, value: string) => (document: Document) => {
        for (const attribute of Array.from(document.getElementsByTagNameNS(ASSERTION_NS, 'Attribute'))) {
          if (attribute.getAttribute('Name') !== name) continue;
          const values = attribute.getElementsByTagNameNS(ASSERTION_NS, 'AttributeValue');
          for (const item of Array.from(values)) item.textContent = value;
        }
      };
      const setAll = (name: string, attribute: string, value: string) => (document: Document) => {
        for (const element of Array.from(document.getElementsByTagNameNS(ASSERTION_NS, name))) {
          element.setAttribute(attribute, value);
        }
      };
      const genuine = fields.SAMLResponse;
      const tampered = (() => {
        const xml = Buffer.from(genuine, 'base64').toString('utf8');
        const changed = xml.replace('>NewsChannel<', '>SportsChannel<');
        assert.notEqual(changed, xml);
        return Buffer.from(changed).toString('base64');
      })();
      const mallory = await selfSignedRsa('Mallory');
      const idpKey = { privateKeyPem: idp.privateKeyPem, certificatePem: idp.certificatePem };
      const past = new Date(Date.now() - 3_600_000).toISOString();

      // Sanity check of the rewriting itself: unchanged and signed with the IdP's key, it passes
      // (below, last). Each case changes one thing.
      const cases: [string, string, number, RegExp][] = [
        ['a tampered attribute', tampered, 500, /could not be verified/],
        ['no signature at all', rewrite(genuine, () => {}), 500, /could not be verified/],
        [
          'signed by another key',
          rewrite(genuine, withAttribute('channels', '*'), mallory),
          500,
          /could not be verified/,
        ],
        [
          'expired (re-signed by the IdP)',
          rewrite(
            genuine,
            (d) => {
              setAll('Conditions', 'NotOnOrAfter', past)(d);
              setAll('SubjectConfirmationData', 'NotOnOrAfter', past)(d);
            },
            idpKey,
          ),
          500,
          /could not be verified/,
        ],
        [
          'for another audience',
          rewrite(
            genuine,
            (d) => {
              first(d, ASSERTION_NS, 'Audience').textContent = 'https://another-sp.example';
            },
            idpKey,
          ),
          500,
          /could not be verified/,
        ],
        [
          'for another recipient',
          rewrite(genuine, setAll('SubjectConfirmationData', 'Recipient', 'https://another-sp.example/acs'), idpKey),
          500,
          /could not be verified/,
        ],
        [
          'to another destination',
          rewrite(
            genuine,
            (d) => d.documentElement.setAttribute('Destination', 'https://another-sp.example/acs'),
            idpKey,
          ),
          500,
          /could not be verified/,
        ],
        [
          'answering another request',
          rewrite(
            genuine,
            (d) => {
              d.documentElement.setAttribute('InResponseTo', '_another');
              setAll('SubjectConfirmationData', 'InResponseTo', '_another')(d);
            },
            idpKey,
          ),
          500,
          /could not be verified/,
        ],
        [
          'from another issuer',
          rewrite(
            genuine,
            (d) => {
              for (const issuer of Array.from(d.getElementsByTagNameNS(ASSERTION_NS, 'Issuer'))) {
                issuer.textContent = 'https://another-idp.example';
              }
            },
            idpKey,
          ),
          500,
          /could not be verified/,
        ],
        ['not base64 XML', Buffer.from('<not-saml/>').toString('base64'), 500, /could not be verified/],
      ];
      for (const [what, samlResponse, status, text] of cases) {
        await refused({ SAMLResponse: samlResponse, RelayState: fields.RelayState }, status, text).catch((error) => {
          throw new Error(`${what}: ${error.message}`, { cause: error });
        });
      }
      await refused({ RelayState: fields.RelayState }, 500, /could not be verified/);
      await refused({ SAMLResponse: genuine, RelayState: 'A'.repeat(43) }, 400, /cannot be completed/);
      await refused({ SAMLResponse: genuine }, 400, /cannot be completed/);
      await refused({ SAMLResponse: genuine, RelayState: 'not-a-state' }, 400, /cannot be completed/);
      // The genuine Response for this flow's RelayState, at another MVPD's ACS.
      const elsewhere = await new UserAgent().post(`${server.url}/api/v2/saml-acs/DemoCable`, fields);
      await assertHtmlPage(elsewhere, 400, /cannot be completed/);

      // A Response of another flow, with this flow's RelayState (and the other way round).
      const other = await newSession(device('saml-negative-other'));
      const otherForm = await walkToAcsForm(agent, other.url);
      await refused(
        { SAMLResponse: otherForm.fields.SAMLResponse, RelayState: fields.RelayState },
        500,
        /could not be verified/,
      );

      // None of this used the sign-in up: the genuine Response, re-signed unchanged or as sent, passes once.
      const resigned = rewrite(genuine, () => {}, idpKey);
      const done = await postToAcs(agent, { SAMLResponse: resigned, RelayState: fields.RelayState });
      assert.equal(done.status, 303, done.body);
      assert.equal(done.location, REDIRECT);
      const profile = await findProfile(deviceId);
      assert.ok(profile);
      assert.deepEqual(profile.upstream.entitlements, ['DemoChannel', 'NewsChannel']);
      // Replays of a consumed Response change nothing.
      for (const samlResponse of [resigned, genuine]) {
        const replay = await postToAcs(agent, { SAMLResponse: samlResponse, RelayState: fields.RelayState });
        await assertHtmlPage(replay, 400, /cannot be completed/);
      }
      assert.equal((await findProfile(deviceId))?.id, profile.id, 'the same profile, not a new one');
      // The other flow is still intact.
      assert.equal((await postToAcs(agent, otherForm.fields)).location, REDIRECT);
    });
  });
}

for (const kind of testDatabases()) {
  describe(`SAML MVPD configuration on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let certificatePem: string;
    const idpLike = () =>
      ({
        entityId: 'https://idp.saml-sat.example/idp',
        ssoUrl: 'https://idp.saml-sat.example/sso',
        sloUrl: 'https://idp.saml-sat.example/slo',
        certificatePem,
      }) as SimpleSamlIdp;

    before(async () => {
      database = await kind.create();
      server = await startTestServer(database, { DOMUS_DEMO: 'true' });
      certificatePem = (await selfSignedRsa('SAML Sat IdP')).certificatePem;
    });
    after(async () => {
      await server.close();
      await database.drop();
    });

    it('refuses inconsistent or invalid SAML MVPDs and stores nothing', async () => {
      const good = samlMvpd(idpLike());
      const connection = good.connection;
      const { privateKeyPem } = await selfSignedRsa('not a certificate');
      const bad: [string, unknown][] = [
        ['protocol saml with an OIDC connection', { ...good, connection: { kind: 'builtin' } }],
        ['protocol oidc with a SAML connection', { ...good, protocol: 'oidc' }],
        ['a logout endpoint without sloUrl', { ...good, connection: { ...connection, sloUrl: undefined } }],
        ['an sloUrl without a logout endpoint', { ...good, hasLogoutEndpoint: false }],
        ['no certificate', { ...good, connection: { ...connection, certificates: [] } }],
        ['a private key for a certificate', { ...good, connection: { ...connection, certificates: [privateKeyPem] } }],
        [
          'a broken certificate',
          { ...good, connection: { ...connection, certificates: [certificatePem.slice(0, 200)] } },
        ],
        [
          'two certificates in one entry',
          { ...good, connection: { ...connection, certificates: [certificatePem + certificatePem] } },
        ],
        [
          'the certificate of an EC key',
          { ...good, connection: { ...connection, certificates: [await ecCertificate()] } },
        ],
        ['a non-http SSO URL', { ...good, connection: { ...connection, ssoUrl: 'javascript:alert(1)' } }],
        ['an unknown connection field', { ...good, connection: { ...connection, clientSecret: 'x' } }],
        ['an empty entity id', { ...good, connection: { ...connection, idpEntityId: '' } }],
      ];
      for (const [what, body] of bad) {
        const answer = await server.admin('PUT', '/mvpds/SamlSat', body);
        assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'invalid_request', what);
      }
      assert.equal((await server.admin('GET', '/mvpds/SamlSat')).status, 404, 'nothing stored');

      const withoutLogout = {
        ...good,
        hasLogoutEndpoint: false,
        connection: { ...connection, sloUrl: undefined, certificates: [`\n${certificatePem}\n`] },
      };
      const put = await server.admin('PUT', '/mvpds/SamlSat', withoutLogout);
      assert.equal(put.status, 201, JSON.stringify(put.body));
      assert.deepEqual(put.body.connection.certificates, [`${certificatePem.trim()}\n`], 'normalized PEM');
      assert.equal('sloUrl' in put.body.connection, false);
      const listed = (await server.admin('GET', '/mvpds')).body.items.find(
        (item: { id: string }) => item.id === 'SamlSat',
      );
      assert.deepEqual(listed, put.body);
      const metadata = await (await fetch(`${server.url}/api/v2/saml-metadata/SamlSat`)).text();
      assert.match(metadata, /AssertionConsumerService/);
      assert.doesNotMatch(metadata, /SingleLogoutService/, 'no SLO without a logout endpoint');
    });

    it('serves metadata only for SAML MVPDs', async () => {
      for (const mvpd of ['DemoCable', 'NoSuchMvpd']) {
        const answer = await fetch(`${server.url}/api/v2/saml-metadata/${mvpd}`);
        assert.equal(answer.status, 400);
        const body = await answer.json();
        assert.equal(body.code, 'invalid_parameter_mvpd');
        assert.equal(body.trace, answer.headers.get('x-request-id'));
      }
    });

    it('logout of a SAML MVPD without a logout endpoint is complete/none', async () => {
      const put = await server.admin('PUT', '/mvpds/SamlSat', {
        ...samlMvpd(idpLike()),
        hasLogoutEndpoint: false,
        connection: { ...samlMvpd(idpLike()).connection, sloUrl: undefined },
      });
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
      await server.admin('PUT', `/integrations/${SP}/SamlSat`, { active: true });
      const registered = await accessToken(server.url, server.admin);
      const tv = device('saml-sat-tv');
      const deviceId = Buffer.from('saml-sat-tv').toString('base64');
      const now = Date.now();
      await server.domus.entitlements.profiles.save({
        clientId: registered.client.client_id,
        deviceId,
        serviceProviderId: SP,
        mvpdId: 'SamlSat',
        code: null,
        sessionId: 'saml-sat-session',
        attributes: { userID: { value: 'dave', state: 'plain' } },
        upstream: {
          subject: '_transient',
          entitlements: [SP],
          householdId: null,
          idToken: null,
          saml: { nameId: '_transient', sessionIndex: '_session' },
        },
        notBefore: now,
        notAfter: now + 3_600_000,
      });
      const path = `/api/v2/${SP}/logout/SamlSat?redirectUrl=${encodeURIComponent(APP_DONE)}`;
      const answer = await v2(server.url, 'GET', path, { token: registered.token, headers: tv });
      assert.deepEqual(answer.body.logouts.SamlSat, { mvpd: 'SamlSat', actionName: 'complete', actionType: 'none' });
      assert.equal(
        await server.domus.entitlements.profiles.find(
          { clientId: registered.client.client_id, deviceId, serviceProviderId: SP },
          'SamlSat',
        ),
        undefined,
      );
    });

    it('the SAML endpoints refuse unknown states and other protocols’ flows with a page', async () => {
      const agent = new UserAgent();
      const acs = `${server.url}/api/v2/saml-acs/SamlSat`;
      await assertHtmlPage(await agent.post(acs, { SAMLResponse: 'PHg+', RelayState: 'A'.repeat(43) }), 400);
      await assertHtmlPage(await agent.post(acs, {}), 400);
      const slo = `${server.url}/api/v2/saml-slo/SamlSat`;
      await assertHtmlPage(
        await agent.get(`${slo}?SAMLResponse=x&RelayState=${'A'.repeat(43)}&SigAlg=x&Signature=x`),
        400,
      );
      await assertHtmlPage(await agent.get(`${slo}?SAMLRequest=x&SigAlg=x&Signature=x`), 400);
      await assertHtmlPage(await agent.get(`${slo}?RelayState=a&RelayState=b`), 400);

      // An OIDC login flow's state is no SAML RelayState, and the other way round.
      const flows = new UserAgentFlows(server.domus.storage.db, new Sealer(server.domus.secrets.masterKey));
      const oidcFlow = await flows.create(
        'login',
        { code: 'ABCDEFG', serviceProviderId: SP, mvpdId: 'SamlSat', codeVerifier: 'v', nonce: 'n' },
        60_000,
      );
      await assertHtmlPage(
        await agent.post(acs, { SAMLResponse: 'PHg+', RelayState: oidcFlow }),
        400,
        /cannot be completed/,
      );
      const samlFlow = await flows.create(
        'login',
        { code: 'ABCDEFG', serviceProviderId: SP, mvpdId: 'DemoCable', samlRequestId: '_x' },
        60_000,
      );
      await assertHtmlPage(
        await agent.get(`${server.url}/api/v2/mvpd-callback/DemoCable?state=${samlFlow}&code=x`),
        400,
        /cannot be completed/,
      );
    });
  });
}
