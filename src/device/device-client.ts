/**
 * The device side of the domain protocol (docs/domain-protocol.md §12), playing the part of the
 * Adobe Access runtime: individualize once, join a domain (the RI client's addToDeviceGroup /
 * joinLicenseDomain), leave it in two phases (removeFromDeviceGroup / leaveLicenseDomain). Beyond
 * the RI, Domus's household operations (§14, §15): list the domain's members and remove another
 * one. Removed means removed: told DOM_NOT_MEMBER about a domain, the device deletes what it holds
 * of it (NoLongerMemberError).
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { compactDecrypt, type JWK } from 'jose';
import { signEs256 } from '../platform/crypto/es256.js';
import { newP256KeyPair } from '../platform/crypto/p256.js';
import { DeviceStore, type DomainLicense, type DomainMembership, type StoredCredential } from './device-store.js';
import { CredentialError, DomainServerError, NoLongerMemberError, type RefusalDetails } from './errors.js';
import { hardwareComponents } from './hardware.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

// The client's errors are part of its interface: importable from here as from errors.ts.
export { CredentialError, DomainServerError, NoLongerMemberError, type RefusalDetails };

export interface DeviceClientOptions {
  /** Machine ID digests; defaults to this computer's hardware. */
  components?: string[];
  fetch?: typeof fetch;
}

export interface JoinOptions {
  /** What this device calls itself, shown to its household (1 to 64 characters, no control characters). */
  label?: string;
}

export interface LeaveResult {
  domain: string;
  machineReleased: boolean;
  licensesDeleted: number;
}

/** One member of a domain, as the members operation lists it (docs/domain-protocol.md §14). */
export interface Member {
  guid: string;
  /** What the device called itself at join, as given; null when it gave nothing. */
  label: string | null;
  firstSeen: string;
  lastSeen: string;
  /** This entry is the asking device. */
  self: boolean;
}

export interface MembersOptions {
  /** Members asked for per request (1 to 100; the server's default is 50). */
  pageSize?: number;
}

/** A committed removal (docs/domain-protocol.md §15): every GUID removed with the member's machine. */
export interface RemoveResult {
  domain: string;
  member: string;
  removed: string[];
  machineReleased: boolean;
}

/** The household operations, served on protocol 5 by servers that list them as extensions. */
type HouseholdOperation = 'members' | 'remove';

const KEY_VERSION_URN = 'urn:domus:key-version:';

export class DeviceClient {
  readonly store: DeviceStore;
  readonly #fetch: typeof fetch;
  readonly #components: string[] | undefined;

  constructor(dir: string, options: DeviceClientOptions = {}) {
    this.store = new DeviceStore(dir);
    this.#fetch = options.fetch ?? fetch;
    this.#components = options.components;
  }

  /**
   * Individualizes against the server at `rootUrl`: a new machine key, a machine token, and the
   * Domain CA certificate this device will check every domain credential against.
   */
  async individualize(rootUrl: string): Promise<{ guid: string }> {
    const root = rootUrl.replace(/\/+$/, '');
    const pair = newP256KeyPair();
    const publicJwk = pair.publicKey.export({ format: 'jwk' });
    const components = this.#components ?? hardwareComponents();
    const body = signEs256(
      { typ: 'domus-indiv+jws', jwk: publicJwk },
      { components, iat: now(), mid: messageId() },
      pair.privateKey,
    );
    const answer = await this.#post<{ machineToken: string; guid: string }>(`${root}/flashaccess/indiv/v1`, body);
    const ca = await this.#fetch(`${root}/flashaccess/domain-ca.pem`);
    if (!ca.ok) throw new Error(`cannot fetch the Domain CA certificate: HTTP ${ca.status}`);
    this.store.writeMachineKey(pair.privateKey.export({ format: 'jwk' }) as JWK);
    this.store.writeDomainCa(await ca.text());
    this.store.writeMachine({
      guid: answer.guid,
      machineToken: answer.machineToken,
      components,
      rootUrl: root,
      individualizedAt: new Date().toISOString(),
    });
    return { guid: answer.guid };
  }

  /**
   * Joins the domain of `domainServerUrl`; checks and stores every credential it receives. A
   * `label` is what this device calls itself, shown to its household.
   */
  async join(domainServerUrl: string, authToken?: string, options: JoinOptions = {}): Promise<DomainMembership> {
    const base = domainServerUrl.replace(/\/+$/, '');
    const held = this.store.domain(base);
    const { path, ver } = await this.#protocol(base, 'domain');
    const answer = await this.#ask<{
      domain: { name: string; mode: 'anonymous' | 'identity'; serverUrl: string };
      credentials: StoredCredential[];
    }>(base, `${base}${path}`, this.#request({ ver, op: 'join', at: authToken, dn: held?.name, label: options.label }));

    if (held && answer.domain.name !== held.name) throw new CredentialError('the server answered another domain');
    if (answer.domain.serverUrl.replace(/\/+$/, '') !== base)
      throw new CredentialError('the server answered another server URL');
    await this.#checkCredentials(answer.domain.name, base, answer.credentials);
    const membership: DomainMembership = {
      name: answer.domain.name,
      mode: answer.domain.mode,
      serverUrl: base,
      credentials: answer.credentials,
      joinedAt: new Date().toISOString(),
    };
    this.store.putDomain(membership);
    return membership;
  }

  /**
   * Leaves in two phases: preview; on success delete the credentials and every license bound
   * to the domain; then commit.
   */
  async leave(domainServerUrl: string, authToken?: string): Promise<LeaveResult> {
    const base = domainServerUrl.replace(/\/+$/, '');
    const { path, ver } = await this.#protocol(base, 'dereg');
    await this.#ask(base, `${base}${path}`, this.#request({ ver, op: 'leave', phase: 'preview', at: authToken }));
    const held = this.store.domain(base);
    this.store.deleteDomain(base);
    const licensesDeleted = this.store.deleteLicensesOf(base);
    const commit = await this.#ask<{ domain: { name: string }; machineReleased: boolean }>(
      base,
      `${base}${path}`,
      this.#request({ ver, op: 'leave', phase: 'commit', at: authToken }),
      { domain: held?.name, licensesDeleted },
    );
    return {
      domain: commit.domain.name || (held?.name ?? ''),
      machineReleased: commit.machineReleased,
      licensesDeleted,
    };
  }

  /**
   * Every member of the domain of `domainServerUrl` (docs/domain-protocol.md §14), following
   * `nextCursor` page by page to the end. Needs a server that lists the `members` extension.
   */
  async members(
    domainServerUrl: string,
    authToken?: string,
    options: MembersOptions = {},
  ): Promise<{ members: Member[] }> {
    const base = domainServerUrl.replace(/\/+$/, '');
    const url = await this.#household(base, 'members');
    const members: Member[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.#ask<{ members: Member[]; nextCursor: string | null }>(
        base,
        url,
        this.#request({ ver: 5, op: 'members', at: authToken, cursor, limit: options.pageSize }),
      );
      for (const { guid, label, firstSeen, lastSeen, self } of page.members) {
        members.push({ guid, label, firstSeen, lastSeen, self });
      }
      cursor = page.nextCursor ?? undefined;
      if (cursor !== undefined && cursors.has(cursor)) throw new Error('the server answered a members cursor twice');
      if (cursor !== undefined) cursors.add(cursor);
    } while (cursor !== undefined);
    return { members };
  }

  /**
   * Removes another member's machine from the domain of `domainServerUrl` in two phases
   * (docs/domain-protocol.md §15): preview, then commit. Needs a server that lists the `remove`
   * extension. Over the domain's removal limit the DomainServerError carries `nextRemovalAt`.
   */
  async remove(domainServerUrl: string, guid: string, authToken?: string): Promise<RemoveResult> {
    const base = domainServerUrl.replace(/\/+$/, '');
    const url = await this.#household(base, 'remove');
    await this.#ask(base, url, this.#request({ ver: 5, op: 'remove', phase: 'preview', member: guid, at: authToken }));
    const commit = await this.#ask<{
      domain: { name: string };
      member: string;
      removed: string[];
      machineReleased: boolean;
    }>(base, url, this.#request({ ver: 5, op: 'remove', phase: 'commit', member: guid, at: authToken }));
    return {
      domain: commit.domain.name,
      member: commit.member,
      removed: commit.removed,
      machineReleased: commit.machineReleased,
    };
  }

  /** Stores a license bound to a domain this device belongs to. */
  storeLicense(license: DomainLicense): void {
    const membership = this.store.domain(license.domainServerUrl);
    if (!membership || membership.name !== license.domainName)
      throw new Error('this device is not a member of that domain');
    this.store.putLicense(license);
  }

  /** The domain private key of one key version, decrypted with the machine key. */
  async domainPrivateKey(domainServerUrl: string, keyVersion: number): Promise<KeyObject> {
    const credential = this.store.domain(domainServerUrl)?.credentials.find((c) => c.keyVersion === keyVersion);
    if (!credential) throw new Error(`no credential of key version ${keyVersion} for ${domainServerUrl}`);
    return this.#decrypt(credential);
  }

  status() {
    const machine = this.store.readMachine();
    return {
      individualized: machine !== undefined,
      guid: machine?.guid,
      rootUrl: machine?.rootUrl,
      domains: Object.values(this.store.domains()).map((d) => ({
        name: d.name,
        mode: d.mode,
        serverUrl: d.serverUrl,
        keyVersions: d.credentials.map((c) => c.keyVersion),
        notAfter: d.credentials.map((c) => c.notAfter).sort()[0],
      })),
      licenses: this.store.licenses().length,
    };
  }

  /** What getServerVersion answers; nothing listed when it does not answer. */
  async #serverVersion(base: string): Promise<{ protocolVersions: unknown[]; extensions: unknown[] }> {
    const response = await this.#fetch(`${base}/flashaccess/getServerVersion/v3`);
    const answer = response.ok
      ? ((await response.json().catch(() => ({}))) as { protocolVersions?: unknown; extensions?: unknown })
      : {};
    return {
      protocolVersions: Array.isArray(answer.protocolVersions) ? answer.protocolVersions : [],
      extensions: Array.isArray(answer.extensions) ? answer.extensions : [],
    };
  }

  async #protocol(base: string, segment: 'domain' | 'dereg'): Promise<{ path: string; ver: 3 | 5 }> {
    const { protocolVersions } = await this.#serverVersion(base);
    return protocolVersions.includes(5)
      ? { path: `/flashaccess/${segment}/v4`, ver: 5 }
      : { path: `/flashaccess/${segment}/v3`, ver: 3 };
  }

  /** The URL of a household operation; refuses a server that does not offer it on protocol 5. */
  async #household(base: string, op: HouseholdOperation): Promise<string> {
    const { protocolVersions, extensions } = await this.#serverVersion(base);
    if (!protocolVersions.includes(5) || !extensions.includes(op)) {
      throw new Error(
        `the domain server at ${base} does not offer "${op}": its getServerVersion lists no "${op}" extension on protocol 5`,
      );
    }
    return `${base}/flashaccess/${op}/v4`;
  }

  #request(fields: {
    ver: 3 | 5;
    op: 'join' | 'leave' | HouseholdOperation;
    phase?: 'preview' | 'commit';
    at?: string;
    dn?: string;
    label?: string;
    member?: string;
    cursor?: string;
    limit?: number;
  }): string {
    const machine = this.store.readMachine();
    const key = this.store.readMachineKey();
    if (!machine || !key) throw new Error('this device is not individualized yet');
    const payload = { ...fields, mt: machine.machineToken, mid: messageId(), iat: now() };
    return signEs256({ typ: 'domus-domain+jws' }, payload, createPrivateKey({ key, format: 'jwk' }));
  }

  /**
   * A request about the domain of `base`. On DOM_NOT_MEMBER, deletes the domain's credentials and
   * every license bound to it, and throws NoLongerMemberError; `earlier` is what this operation
   * already deleted (a leave's commit, after its preview).
   */
  async #ask<T>(
    base: string,
    url: string,
    body: string,
    earlier?: { domain: string | undefined; licensesDeleted: number },
  ): Promise<T> {
    try {
      return await this.#post<T>(url, body);
    } catch (error) {
      if (!(error instanceof DomainServerError) || error.errorName !== 'DOM_NOT_MEMBER') throw error;
      const held = this.store.domain(base);
      this.store.deleteDomain(base);
      const licensesDeleted = this.store.deleteLicensesOf(base) + (earlier?.licensesDeleted ?? 0);
      const name = held?.name ?? earlier?.domain;
      throw new NoLongerMemberError(error, base, name ?? base, name !== undefined, licensesDeleted);
    }
  }

  async #post<T>(url: string, body: string): Promise<T> {
    const response = await this.#fetch(url, { method: 'POST', headers: { 'content-type': 'application/jose' }, body });
    const answer = (await response.json().catch(() => ({}))) as T & {
      error?: { code: number; name: string; message: string; nextRemovalAt?: unknown };
    };
    if (!response.ok || answer.error) {
      const error = answer.error ?? { code: 0, name: 'HTTP_ERROR', message: `HTTP ${response.status}` };
      const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
      throw new DomainServerError(response.status, error.code, error.name, error.message, {
        nextRemovalAt: typeof error.nextRemovalAt === 'string' ? error.nextRemovalAt : undefined,
        retryAfterS: Number.isInteger(retryAfter) ? retryAfter : undefined,
      });
    }
    return answer;
  }

  /** Each credential: certificate issued by the trusted Domain CA for this domain, server URL and key version; private key matching it. */
  async #checkCredentials(domainName: string, serverUrl: string, credentials: StoredCredential[]): Promise<void> {
    const caPem = this.store.readDomainCa();
    if (!caPem) throw new CredentialError('no trusted Domain CA: individualize first');
    const ca = new x509.X509Certificate(caPem);
    if (credentials.length === 0) throw new CredentialError('the answer holds no credential');
    for (const credential of credentials) {
      const certificate = new x509.X509Certificate(Buffer.from(credential.certificate, 'base64'));
      if (!(await certificate.verify({ publicKey: ca.publicKey, date: new Date() }))) {
        throw new CredentialError(
          `certificate of key version ${credential.keyVersion} is not valid under the Domain CA`,
        );
      }
      if (certificate.issuer !== ca.subject) throw new CredentialError('certificate issuer is not the Domain CA');
      if (certificate.subjectName.getField('CN')[0] !== domainName)
        throw new CredentialError('certificate names another domain');
      const uris =
        certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value) ?? [];
      if (!uris.includes(serverUrl) || !uris.includes(`${KEY_VERSION_URN}${credential.keyVersion}`)) {
        throw new CredentialError(
          `certificate of key version ${credential.keyVersion} names another server URL or version`,
        );
      }
      const privateKey = await this.#decrypt(credential);
      const fromPrivate = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      if (!fromPrivate.equals(Buffer.from(certificate.publicKey.rawData))) {
        throw new CredentialError(`private key of key version ${credential.keyVersion} does not match its certificate`);
      }
    }
  }

  async #decrypt(credential: StoredCredential): Promise<KeyObject> {
    const key = this.store.readMachineKey();
    if (!key) throw new Error('this device is not individualized yet');
    const { plaintext, protectedHeader } = await compactDecrypt(
      credential.privateKey,
      createPrivateKey({ key, format: 'jwk' }),
      {
        keyManagementAlgorithms: ['ECDH-ES+A256KW'],
        contentEncryptionAlgorithms: ['A256GCM'],
      },
    );
    if (protectedHeader.cty !== 'pkcs8') throw new CredentialError('credential private key is not PKCS#8');
    return createPrivateKey({ key: Buffer.from(plaintext), format: 'der', type: 'pkcs8' });
  }
}

const now = () => Math.floor(Date.now() / 1000);
const messageId = () => randomBytes(18).toString('base64url');
