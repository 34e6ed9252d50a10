/**
 * The checks Domus makes on SAML messages beyond those of @node-saml/node-saml (which checks the
 * XML signatures, the audience, the validity windows and InResponseTo against the one request id
 * it is given), and the two edits it makes to the library's output. Plain DOM (xmldom, which
 * resolves no external entities); every function here is synchronous and transport-neutral.
 *
 * Response (SAML core §3.2.2, bindings §3.5.5.2, Web SSO profile §4.1.4.3):
 * - the root is a protocol `Response` whose `InResponseTo` is the request id of the login flow,
 *   and whose `Destination`, when present, is this MVPD's assertion consumer service URL; none
 *   of its XML signatures uses SHA-1;
 * - the (signature-checked) assertion is issued by the MVPD's IdP entity id and has a bearer
 *   SubjectConfirmation for this ACS URL and this request id, and an AuthnStatement.
 *
 * LogoutResponse (SAML core §3.7.2, bindings §3.4.5.2): a protocol `LogoutResponse` whose
 * `InResponseTo` is the pending logout's request id, `Destination` (when present) Domus's SLO
 * URL for the MVPD, and `Issuer` the IdP. An IdP's LogoutRequest: addressed to that SLO URL,
 * issued by the IdP, naming one (unencrypted) NameID.
 */
import { inflateRawSync } from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { MvpdError } from '../errors.js';

export const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
/** `Reason` of a LogoutRequest the user asked for (SAML core §3.7.3.2). */
export const LOGOUT_REASON_USER = 'urn:oasis:names:tc:SAML:2.0:logout:user';

/** The largest SAML message Domus reads, decoded (and inflated, for the Redirect binding). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

const invalid = (message: string, cause?: unknown) =>
  new MvpdError('invalid_saml_message', message, undefined, cause === undefined ? undefined : { cause });

/** Parses XML; any warning, error or a missing root element is an invalid message. */
export function parseXml(xml: string, what: string): Document {
  const fail = (message: string) => {
    throw invalid(`${what} is not well-formed XML (${message.split('\n')[0]})`);
  };
  const document = new DOMParser({
    locator: {},
    errorHandler: { warning: fail, error: fail, fatalError: fail },
  }).parseFromString(xml, 'text/xml');
  if (!document?.documentElement) throw invalid(`${what} is not an XML document`);
  return document;
}

/** The XML of a base64 value (the HTTP-POST binding), bounded in size. */
export function decodePostMessage(base64: string, what: string): string {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(base64)) throw invalid(`${what} is not base64`);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length > MAX_MESSAGE_BYTES) throw invalid(`${what} is empty or too large`);
  return bytes.toString('utf8');
}

/** The XML of a base64 DEFLATE value (the HTTP-Redirect binding), bounded in size. */
export function decodeRedirectMessage(base64: string, what: string): string {
  if (!/^[A-Za-z0-9+/=]+$/.test(base64)) throw invalid(`${what} is not base64`);
  try {
    return inflateRawSync(Buffer.from(base64, 'base64'), { maxOutputLength: MAX_MESSAGE_BYTES }).toString('utf8');
  } catch (error) {
    throw invalid(`${what} does not inflate`, error);
  }
}

function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.namespaceURI === namespace && element.localName === localName) {
      found.push(element);
    }
  }
  return found;
}

function rootOf(document: Document, localName: string, what: string): Element {
  const root = document.documentElement;
  if (root.namespaceURI !== PROTOCOL_NS || root.localName !== localName) {
    throw invalid(`${what} is not a SAML ${localName}`);
  }
  return root;
}

/** InResponseTo, Destination (when present) and Issuer (when present, or when `issuerRequired`). */
function checkEnvelope(
  root: Element,
  expected: { requestId: string; destination: string; issuer: string; issuerRequired: boolean },
  what: string,
): void {
  if (root.getAttribute('Version') !== '2.0') throw invalid(`${what} is not SAML 2.0`);
  if (root.getAttribute('InResponseTo') !== expected.requestId) {
    throw invalid(`${what} does not answer the request of this flow (InResponseTo)`);
  }
  const destination = root.getAttribute('Destination');
  if (destination && destination !== expected.destination) {
    throw invalid(`${what} was sent to another destination`);
  }
  const issuers = childElements(root, ASSERTION_NS, 'Issuer');
  if (issuers.length > 1) throw invalid(`${what} has several issuers`);
  const issuer = issuers[0]?.textContent?.trim();
  if (issuer === undefined ? expected.issuerRequired : issuer !== expected.issuer) {
    throw invalid(`${what} is not from the MVPD's identity provider`);
  }
}

/** SHA-1 signature and digest methods, refused in every XML signature of a Response. */
const SHA1_METHODS = new Set([
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'http://www.w3.org/2000/09/xmldsig#sha1',
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
]);

/** The checks of a login Response's envelope (before the library verifies its signatures). */
export function checkResponseEnvelope(
  xml: string,
  expected: { requestId: string; acsUrl: string; idpEntityId: string },
): void {
  const document = parseXml(xml, 'SAMLResponse');
  for (const name of ['SignatureMethod', 'DigestMethod']) {
    for (const method of Array.from(document.getElementsByTagNameNS(DSIG_NS, name))) {
      if (SHA1_METHODS.has(method.getAttribute('Algorithm') ?? '')) throw invalid('SAMLResponse is signed with SHA-1');
    }
  }
  const root = rootOf(document, 'Response', 'SAMLResponse');
  checkEnvelope(
    root,
    {
      requestId: expected.requestId,
      destination: expected.acsUrl,
      issuer: expected.idpEntityId,
      issuerRequired: false,
    },
    'SAMLResponse',
  );
}

/** The checks of a signature-checked assertion (the XML the library verified). */
export function checkAssertion(
  assertionXml: string,
  expected: { requestId: string; acsUrl: string; idpEntityId: string },
  nowMs: number,
  clockSkewMs: number,
): void {
  const assertion = parseXml(assertionXml, 'assertion').documentElement;
  if (assertion.namespaceURI !== ASSERTION_NS || assertion.localName !== 'Assertion') {
    throw invalid('the signed element is not an assertion');
  }
  const issuer = childElements(assertion, ASSERTION_NS, 'Issuer')[0]?.textContent?.trim();
  if (issuer !== expected.idpEntityId) throw invalid("the assertion is not issued by the MVPD's identity provider");
  const subject = childElements(assertion, ASSERTION_NS, 'Subject')[0];
  if (!subject) throw invalid('the assertion has no subject');
  const confirmed = childElements(subject, ASSERTION_NS, 'SubjectConfirmation').some((confirmation) => {
    if (confirmation.getAttribute('Method') !== BEARER) return false;
    return childElements(confirmation, ASSERTION_NS, 'SubjectConfirmationData').some((data) => {
      const notOnOrAfter = Date.parse(data.getAttribute('NotOnOrAfter') ?? '');
      const notBefore = data.getAttribute('NotBefore');
      return (
        data.getAttribute('Recipient') === expected.acsUrl &&
        data.getAttribute('InResponseTo') === expected.requestId &&
        Number.isFinite(notOnOrAfter) &&
        nowMs - clockSkewMs < notOnOrAfter &&
        // A bearer confirmation should have no NotBefore (profiles §4.1.4.2); one that has must have begun.
        (!notBefore || Date.parse(notBefore) <= nowMs + clockSkewMs)
      );
    });
  });
  if (!confirmed) {
    throw invalid('the assertion has no current bearer confirmation for this consumer service and request');
  }
  if (childElements(assertion, ASSERTION_NS, 'AuthnStatement').length === 0) {
    throw invalid('the assertion has no authentication statement');
  }
}

/** The checks of a LogoutResponse (HTTP-Redirect binding, before the library checks status and signature). */
export function checkLogoutResponse(
  xml: string,
  expected: { requestId: string; sloUrl: string; idpEntityId: string },
): void {
  const root = rootOf(parseXml(xml, 'SAMLResponse'), 'LogoutResponse', 'SAMLResponse');
  checkEnvelope(
    root,
    { requestId: expected.requestId, destination: expected.sloUrl, issuer: expected.idpEntityId, issuerRequired: true },
    'LogoutResponse',
  );
}

/** The checks of an IdP's LogoutRequest (HTTP-Redirect binding, before the library checks times and signature). */
export function checkLogoutRequest(xml: string, expected: { sloUrl: string; idpEntityId: string }): void {
  const root = rootOf(parseXml(xml, 'SAMLRequest'), 'LogoutRequest', 'SAMLRequest');
  if (root.getAttribute('Version') !== '2.0') throw invalid('LogoutRequest is not SAML 2.0');
  const destination = root.getAttribute('Destination');
  if (destination && destination !== expected.sloUrl) throw invalid('LogoutRequest was sent to another destination');
  const issuers = childElements(root, ASSERTION_NS, 'Issuer');
  if (issuers.length !== 1 || issuers[0]?.textContent?.trim() !== expected.idpEntityId) {
    throw invalid("LogoutRequest is not from the MVPD's identity provider");
  }
  if (childElements(root, ASSERTION_NS, 'NameID').length !== 1) throw invalid('LogoutRequest names no NameID');
}

/** A LogoutRequest with `Reason` set (the library builds it without one). */
export function withLogoutReason(logoutRequestXml: string, reason = LOGOUT_REASON_USER): string {
  const document = parseXml(logoutRequestXml, 'LogoutRequest');
  document.documentElement.setAttribute('Reason', reason);
  return new XMLSerializer().serializeToString(document);
}

/**
 * SP metadata with a SingleLogoutService of the HTTP-Redirect binding at `sloUrl` (the library
 * only writes HTTP-POST ones), placed where the schema wants it: before NameIDFormat and the
 * assertion consumer services.
 */
export function withRedirectSingleLogout(metadataXml: string, sloUrl: string): string {
  const document = parseXml(metadataXml, 'metadata');
  const descriptor = childElements(document.documentElement, METADATA_NS, 'SPSSODescriptor')[0];
  if (!descriptor) throw new Error('SP metadata without an SPSSODescriptor');
  const service = document.createElementNS(METADATA_NS, 'SingleLogoutService');
  service.setAttribute('Binding', HTTP_REDIRECT);
  service.setAttribute('Location', sloUrl);
  const before =
    childElements(descriptor, METADATA_NS, 'NameIDFormat')[0] ??
    childElements(descriptor, METADATA_NS, 'AssertionConsumerService')[0] ??
    null;
  descriptor.insertBefore(service, before);
  return new XMLSerializer().serializeToString(document);
}
