/**
 * Domus as the SAML 2.0 service provider of an MVPD (docs/entitlement-api.md, "SAML MVPDs"), on
 * @node-saml/node-saml:
 *
 * - login: an AuthnRequest signed with Domus's SP key (HTTP-Redirect binding, RelayState = the
 *   login flow's state, ID = the request id kept in the flow record); the IdP's Response comes
 *   back with the HTTP-POST binding and must carry an assertion signed by one of the MVPD's
 *   certificates, for Domus's entity id (audience), this ACS (destination, recipient), this
 *   request (InResponseTo), inside its validity window, from the MVPD's IdP;
 * - logout: a LogoutRequest signed with the SP key (HTTP-Redirect) naming the NameID and
 *   SessionIndex of the login, with Reason `…:logout:user`; the IdP's LogoutResponse comes back
 *   with the HTTP-Redirect binding and must be signed, answer this request, and say Success. A
 *   signed LogoutRequest from the IdP (IdP-initiated logout) is answered with a signed Success;
 * - metadata: Domus's SP metadata for this MVPD (entity id, signing certificate, ACS, SLO).
 *
 * Domus's entity id toward an MVPD is the URL of that metadata (mvpd/paths.ts), so an assertion
 * made for one MVPD's login is refused at another's. Request ids are chosen by the caller and
 * kept server side: the library's own request cache is replaced by one that knows exactly the
 * request of the flow at hand, so nothing is remembered per process. One-time use is the flow's:
 * the caller takes the flow record when a response passes (user-agent/flow-store.ts).
 * Failures are MvpdError: `invalid_saml_message` (anything that does not verify) or
 * `saml_status` (the IdP answered with another status than Success).
 */
import { randomBytes } from 'node:crypto';
import {
  type CacheProvider,
  type Profile,
  SAML,
  type SamlConfig,
  SamlStatusError,
  ValidateInResponseTo,
} from '@node-saml/node-saml';
import type { Mvpd, SamlConnection } from '../../operator/model.js';
import { MvpdError } from '../errors.js';
import { samlAcsUrl, samlEntityId, samlSloUrl } from '../paths.js';
import {
  checkAssertion,
  checkLogoutRequest,
  checkLogoutResponse,
  checkResponseEnvelope,
  decodePostMessage,
  decodeRedirectMessage,
  withLogoutReason,
  withRedirectSingleLogout,
} from './saml-messages.js';
import type { SamlSession } from './saml-session.js';
import type { SpCredentialSource, SpCredentials } from './sp-credentials.js';

export interface SamlConnectorOptions {
  /** Domus's public root URL (no trailing slash). */
  publicRoot(): string;
  credentials: SpCredentialSource;
  /** Allowed clock skew for the IdP's times; default 60 s. */
  clockSkewMs?: number;
}

/** What a verified Response says about the user. */
export interface SamlLogin {
  /** The assertion's NameID. */
  subject: string;
  /** The assertion's attributes: name → value (a string, or a list for a multi-valued attribute). */
  claims: Record<string, unknown>;
  /** What a later Single Logout names. */
  session: SamlSession;
}

/** Signature algorithms accepted on HTTP-Redirect messages (no SHA-1). */
const REDIRECT_SIG_ALGS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const UNSPECIFIED_NAME_ID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

/** A fresh request id: an xs:ID (starts with a letter or `_`), 160 random bits. */
export function newSamlRequestId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

type SamlMvpd = Pick<Mvpd, 'id'> & { connection: SamlConnection };

export class SamlConnectors {
  readonly #options: Required<SamlConnectorOptions>;

  constructor(options: SamlConnectorOptions) {
    this.#options = { clockSkewMs: 60_000, ...options };
  }

  /** The connector of one SAML MVPD. */
  for(mvpd: Pick<Mvpd, 'id' | 'connection'>): SamlConnector {
    if (mvpd.connection.kind !== 'saml') throw new Error(`MVPD ${mvpd.id} is not a SAML MVPD`);
    return new SamlConnector(
      { id: mvpd.id, connection: mvpd.connection },
      this.#options.publicRoot(),
      this.#options.credentials,
      this.#options.clockSkewMs,
    );
  }
}

export class SamlConnector {
  /** Domus's SP entity id toward this MVPD (the URL of its metadata). */
  readonly entityId: string;
  /** Where the IdP posts its Response. */
  readonly acsUrl: string;
  /** Where the IdP sends its LogoutResponse. */
  readonly sloCallbackUrl: string;
  readonly #connection: SamlConnection;

  constructor(
    mvpd: SamlMvpd,
    publicRoot: string,
    private readonly credentials: SpCredentialSource,
    private readonly clockSkewMs: number,
  ) {
    this.#connection = mvpd.connection;
    this.entityId = samlEntityId(publicRoot, mvpd.id);
    this.acsUrl = samlAcsUrl(publicRoot, mvpd.id);
    this.sloCallbackUrl = samlSloUrl(publicRoot, mvpd.id);
  }

  /** The IdP's single logout URL, when it has one. */
  get sloUrl(): string | undefined {
    return this.#connection.sloUrl;
  }

  /** The URL to send the user agent to: a signed AuthnRequest with ID `requestId` (HTTP-Redirect). */
  async authnRequestUrl(request: { requestId: string; relayState: string }): Promise<string> {
    const saml = await this.#saml(request.requestId);
    return saml.getAuthorizeUrlAsync(request.relayState, undefined, {});
  }

  /**
   * Verifies the Response the IdP posted (`SAMLResponse`, base64) for the AuthnRequest
   * `requestId`; answers who signed in. Nothing is remembered: one-time use is the caller's.
   */
  async readResponse(samlResponse: string, requestId: string, now = Date.now()): Promise<SamlLogin> {
    const expected = { requestId, acsUrl: this.acsUrl, idpEntityId: this.#connection.idpEntityId };
    checkResponseEnvelope(decodePostMessage(samlResponse, 'SAMLResponse'), expected);
    const saml = await this.#saml(requestId);
    let profile: Profile | null;
    try {
      ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (error) {
      throw libraryFailure(error, 'SAMLResponse');
    }
    if (!profile) throw new MvpdError('saml_status', 'the IdP could not sign the user in passively');
    const assertionXml = profile.getAssertionXml?.();
    if (!assertionXml) throw new MvpdError('invalid_saml_message', 'no signed assertion');
    checkAssertion(assertionXml, expected, now, this.clockSkewMs);
    if (typeof profile.nameID !== 'string' || profile.nameID === '') {
      throw new MvpdError('invalid_saml_message', 'the assertion has no NameID');
    }
    const session: SamlSession = { nameId: profile.nameID };
    for (const [key, value] of [
      ['nameIdFormat', profile.nameIDFormat],
      ['nameQualifier', profile.nameQualifier],
      ['spNameQualifier', profile.spNameQualifier],
      ['sessionIndex', profile.sessionIndex],
    ] as const) {
      if (typeof value === 'string' && value !== '') session[key] = value;
    }
    const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
    return { subject: profile.nameID, claims: { ...attributes }, session };
  }

  /**
   * The URL to send the user agent to: a signed LogoutRequest with ID `requestId` for the
   * session of a login (HTTP-Redirect), or undefined when the MVPD has no single logout service.
   */
  async logoutRequestUrl(request: {
    requestId: string;
    relayState: string;
    session: SamlSession;
  }): Promise<string | undefined> {
    if (!this.#connection.sloUrl) return undefined;
    const saml = await this.#saml(request.requestId);
    const { session } = request;
    const user: Profile = {
      issuer: this.#connection.idpEntityId,
      nameID: session.nameId,
      nameIDFormat: session.nameIdFormat ?? UNSPECIFIED_NAME_ID,
      ...(session.nameQualifier !== undefined && { nameQualifier: session.nameQualifier }),
      ...(session.spNameQualifier !== undefined && { spNameQualifier: session.spNameQualifier }),
      ...(session.sessionIndex !== undefined && { sessionIndex: session.sessionIndex }),
    };
    return saml.getLogoutUrlAsync(user, request.relayState, {});
  }

  /**
   * Verifies the LogoutResponse the IdP sent back (HTTP-Redirect binding; `rawQuery` is the query
   * string exactly as received, which its signature covers) for the LogoutRequest `requestId`.
   */
  async readLogoutResponse(rawQuery: string, requestId: string): Promise<void> {
    const params = new URLSearchParams(rawQuery);
    const container = {
      SAMLResponse: singleParameter(params, 'SAMLResponse', 'LogoutResponse'),
      RelayState: singleParameter(params, 'RelayState', 'LogoutResponse'),
      SigAlg: singleParameter(params, 'SigAlg', 'LogoutResponse'),
      Signature: singleParameter(params, 'Signature', 'LogoutResponse'),
    };
    if (!REDIRECT_SIG_ALGS.has(container.SigAlg)) {
      throw new MvpdError('invalid_saml_message', 'LogoutResponse: unsupported signature algorithm');
    }
    checkLogoutResponse(decodeRedirectMessage(container.SAMLResponse, 'SAMLResponse'), {
      requestId,
      sloUrl: this.sloCallbackUrl,
      idpEntityId: this.#connection.idpEntityId,
    });
    const saml = await this.#saml(requestId);
    try {
      const { loggedOut } = await saml.validateRedirectAsync(container, rawQuery);
      if (!loggedOut) throw new Error('not a logout answer');
    } catch (error) {
      throw libraryFailure(error, 'LogoutResponse');
    }
  }

  /**
   * Answers a LogoutRequest the IdP sent (HTTP-Redirect binding; an IdP-initiated Single Logout,
   * e.g. the user signed out at another of the IdP's services): it must be signed by the IdP, be
   * addressed to Domus and be current. Domus holds no session in the user agent (profiles belong
   * to the app's devices and end with the app's logout or their TTL), so nothing is deleted; the
   * answer is the URL of a signed LogoutResponse (Success) to the IdP's SLO service.
   */
  async answerLogoutRequest(rawQuery: string): Promise<string> {
    const sloUrl = this.#connection.sloUrl;
    if (!sloUrl) throw new MvpdError('invalid_saml_message', 'LogoutRequest: the MVPD has no single logout service');
    const params = new URLSearchParams(rawQuery);
    const relayStates = params.getAll('RelayState');
    if (relayStates.length > 1) throw new MvpdError('invalid_saml_message', 'LogoutRequest: RelayState repeated');
    const container = {
      SAMLRequest: singleParameter(params, 'SAMLRequest', 'LogoutRequest'),
      SigAlg: singleParameter(params, 'SigAlg', 'LogoutRequest'),
      Signature: singleParameter(params, 'Signature', 'LogoutRequest'),
      ...(relayStates[0] !== undefined && { RelayState: relayStates[0] }),
    };
    if (!REDIRECT_SIG_ALGS.has(container.SigAlg)) {
      throw new MvpdError('invalid_saml_message', 'LogoutRequest: unsupported signature algorithm');
    }
    checkLogoutRequest(decodeRedirectMessage(container.SAMLRequest, 'SAMLRequest'), {
      sloUrl: this.sloCallbackUrl,
      idpEntityId: this.#connection.idpEntityId,
    });
    const saml = await this.#saml(newSamlRequestId());
    try {
      const { profile } = await saml.validateRedirectAsync(container, rawQuery);
      if (!profile?.ID) throw new Error('not a logout request');
      return await saml.getLogoutResponseUrlAsync(profile, container.RelayState ?? '', {}, true);
    } catch (error) {
      throw libraryFailure(error, 'LogoutRequest');
    }
  }

  /** Domus's SP metadata for this MVPD (XML). */
  async metadata(): Promise<string> {
    const credentials = await this.credentials.load();
    const xml = this.#samlWith(credentials, newSamlRequestId()).generateServiceProviderMetadata(
      null,
      credentials.certificatePem,
    );
    return this.#connection.sloUrl ? withRedirectSingleLogout(xml, this.sloCallbackUrl) : xml;
  }

  async #saml(requestId: string): Promise<SAML> {
    return this.#samlWith(await this.credentials.load(), requestId);
  }

  /** A library instance for one request (cheap: options only; the certificates are parsed on use). */
  #samlWith(credentials: SpCredentials, requestId: string): SAML {
    const connection = this.#connection;
    const config: SamlConfig = {
      issuer: this.entityId,
      audience: this.entityId,
      callbackUrl: this.acsUrl,
      entryPoint: connection.ssoUrl,
      logoutUrl: connection.sloUrl ?? connection.ssoUrl,
      idpCert: connection.certificates,
      idpIssuer: connection.idpEntityId,
      privateKey: credentials.privateKeyPem,
      publicCert: credentials.certificatePem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      // Let the IdP choose its NameID format (typically transient), and ask for no particular
      // authentication context: MVPDs decide how their users sign in.
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
      cacheProvider: onlyRequest(requestId),
      generateUniqueId: () => requestId,
      acceptedClockSkewMs: this.clockSkewMs,
    };
    return new DomusSaml(config);
  }
}

/**
 * The library, with `Reason` on its LogoutRequests (SAML core §3.7.3.2; docs/entitlement-api.md,
 * "SAML MVPDs").
 */
class DomusSaml extends SAML {
  override async _generateLogoutRequest(user: Profile): Promise<string> {
    return withLogoutReason(await super._generateLogoutRequest(user));
  }
}

/**
 * The library's request-id cache, answering for exactly one request: the one kept in the flow
 * record. It stores nothing (the flow record is the memory, one-time and shared by processes).
 */
function onlyRequest(requestId: string): CacheProvider {
  return {
    saveAsync: async (key, value) => (key === requestId ? { value, createdAt: Date.now() } : null),
    // The value is read as the request's creation instant; the flow record's TTL bounds its age.
    getAsync: async (key) => (key === requestId ? new Date().toISOString() : null),
    removeAsync: async (key) => key,
  };
}

/** The one non-empty value of a query parameter of a SAML message. */
function singleParameter(params: URLSearchParams, name: string, what: string): string {
  const values = params.getAll(name);
  if (values.length !== 1 || !values[0])
    throw new MvpdError('invalid_saml_message', `${what}: ${name} missing or repeated`);
  return values[0];
}

function libraryFailure(error: unknown, what: string): MvpdError {
  if (error instanceof MvpdError) return error;
  if (error instanceof SamlStatusError) {
    const status = /Value="([^"]+)"/.exec(error.xmlStatus)?.[1];
    return new MvpdError('saml_status', `${what}: the IdP answered ${status ?? 'an error status'}`, status, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/^Bad status code/.test(message)) {
    return new MvpdError('saml_status', `${what}: the IdP did not answer Success`, undefined, { cause: error });
  }
  return new MvpdError('invalid_saml_message', `${what} rejected: ${message.slice(0, 200)}`, undefined, {
    cause: error,
  });
}
