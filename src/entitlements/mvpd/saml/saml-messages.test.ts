import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { MvpdError } from '../errors.js';
import {
  checkLogoutRequest,
  checkLogoutResponse,
  checkResponseEnvelope,
  decodeRedirectMessage,
  MAX_MESSAGE_BYTES,
  parseXml,
  withLogoutReason,
  withRedirectSingleLogout,
} from './saml-messages.js';

const IDP = 'https://idp.example/saml';
const SLO = 'https://domus.example/api/v2/saml-slo/X';
const logoutResponse = (attributes: string, issuer = IDP) =>
  `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" ${attributes}><saml:Issuer>${issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
const refused = (run: () => unknown, pattern: RegExp) =>
  assert.throws(
    run,
    (error) => error instanceof MvpdError && error.failure === 'invalid_saml_message' && pattern.test(error.message),
  );

describe('SAML message checks', () => {
  it('accepts a LogoutResponse for the request, and refuses one for another request, destination or issuer', () => {
    const expected = { requestId: '_q', sloUrl: SLO, idpEntityId: IDP };
    checkLogoutResponse(logoutResponse(`InResponseTo="_q" Destination="${SLO}"`), expected);
    checkLogoutResponse(logoutResponse('InResponseTo="_q"'), expected);
    refused(() => checkLogoutResponse(logoutResponse(''), expected), /InResponseTo/);
    refused(() => checkLogoutResponse(logoutResponse('InResponseTo="_other"'), expected), /InResponseTo/);
    refused(
      () => checkLogoutResponse(logoutResponse('InResponseTo="_q" Destination="https://x/"'), expected),
      /destination/,
    );
    refused(
      () => checkLogoutResponse(logoutResponse('InResponseTo="_q"', 'https://evil.example'), expected),
      /identity provider/,
    );
    refused(() => checkLogoutResponse('<x/>', expected), /not a SAML LogoutResponse/);
    refused(() => checkLogoutResponse('<unclosed', expected), /XML/);
  });

  it('refuses a Response signed with SHA-1, for another request, or to another destination', () => {
    const ACS = 'https://domus.example/api/v2/saml-acs/X';
    const expected = { requestId: '_q', acsUrl: ACS, idpEntityId: IDP };
    const response = (attributes: string, method = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') =>
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_r" Version="2.0" ${attributes}><ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="${method}"/></ds:SignedInfo></ds:Signature></samlp:Response>`;
    checkResponseEnvelope(response(`InResponseTo="_q" Destination="${ACS}"`), expected);
    refused(
      () =>
        checkResponseEnvelope(response('InResponseTo="_q"', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'), expected),
      /SHA-1/,
    );
    refused(() => checkResponseEnvelope(response('InResponseTo="_other"'), expected), /InResponseTo/);
    refused(
      () => checkResponseEnvelope(response('InResponseTo="_q" Destination="https://x/"'), expected),
      /destination/,
    );
  });

  it('accepts an IdP LogoutRequest naming one NameID from the IdP only', () => {
    const request = (issuer: string, nameIds: number) =>
      `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l" Version="2.0" Destination="${SLO}"><saml:Issuer>${issuer}</saml:Issuer>${'<saml:NameID>n</saml:NameID>'.repeat(nameIds)}</samlp:LogoutRequest>`;
    checkLogoutRequest(request(IDP, 1), { sloUrl: SLO, idpEntityId: IDP });
    refused(
      () => checkLogoutRequest(request('https://evil.example', 1), { sloUrl: SLO, idpEntityId: IDP }),
      /identity provider/,
    );
    refused(() => checkLogoutRequest(request(IDP, 2), { sloUrl: SLO, idpEntityId: IDP }), /NameID/);
  });

  it('inflates HTTP-Redirect messages only up to the size limit', () => {
    assert.equal(decodeRedirectMessage(deflateRawSync('<a/>').toString('base64'), 'm'), '<a/>');
    const bomb = deflateRawSync(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 32)).toString('base64');
    refused(() => decodeRedirectMessage(bomb, 'm'), /does not inflate/);
    refused(() => decodeRedirectMessage('not base64!', 'm'), /base64/);
  });

  it('sets Reason on a LogoutRequest and puts an HTTP-Redirect SingleLogoutService where the schema wants it', () => {
    const reasoned = parseXml(
      withLogoutReason('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x"/>'),
      't',
    );
    assert.equal(reasoned.documentElement.getAttribute('Reason'), 'urn:oasis:names:tc:SAML:2.0:logout:user');
    const metadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"><SPSSODescriptor><KeyDescriptor/><AssertionConsumerService Location="acs"/></SPSSODescriptor></EntityDescriptor>`;
    const descriptor = parseXml(withRedirectSingleLogout(metadata, SLO), 't').documentElement.firstChild as Element;
    const names = Array.from(descriptor.childNodes).map((node) => (node as Element).localName);
    assert.deepEqual(names, ['KeyDescriptor', 'SingleLogoutService', 'AssertionConsumerService']);
    const slo = descriptor.childNodes[1] as Element;
    assert.equal(slo.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect');
    assert.equal(slo.getAttribute('Location'), SLO);
  });
});
