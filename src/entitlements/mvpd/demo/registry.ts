/**
 * The demo providers of this process, one per built-in MVPD, built on first use and rebuilt when
 * the MVPD's settings (or the public root) change. Every process builds the same provider from
 * the same database rows and keys, so any of them can serve any request of a login.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { KeyStore } from '../../../platform/keys/key-store.js';
import type { Logger } from '../../../platform/logger.js';
import type { Mvpd } from '../../operator/model.js';
import type { OperatorStore } from '../../operator/store.js';
import { demoIssuer } from '../paths.js';
import type { OidcPayloadStore } from './adapter.js';
import { loadCookieKeys, loadSigningJwk } from './keys.js';
import type { Branding } from './pages.js';
import { createDemoProvider } from './provider.js';
import type { DemoUsers } from './users.js';

export interface DemoProvider {
  mvpd: Mvpd;
  issuer: string;
  branding: Branding;
  provider: Provider;
  /** oidc-provider's request handler. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface DemoRegistryDeps {
  keyStore: KeyStore;
  operatorStore: Pick<OperatorStore, 'mvpd'>;
  publicRoot(): string;
  users: DemoUsers;
  logger: Logger;
  payloads: OidcPayloadStore;
}

export class DemoProviderRegistry {
  readonly #entries = new Map<string, { fingerprint: string; built: Promise<DemoProvider> }>();
  #cookieKeys: Promise<string[]> | undefined;

  constructor(private readonly deps: DemoRegistryDeps) {}

  /** The provider of a built-in MVPD, or undefined when no such MVPD is served by Domus. */
  async resolve(mvpdId: string): Promise<DemoProvider | undefined> {
    const mvpd = await this.deps.operatorStore.mvpd(mvpdId);
    if (mvpd?.connection.kind !== 'builtin') return undefined;
    const publicRoot = this.deps.publicRoot();
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([publicRoot, mvpd.displayName, mvpd.logoUrl, mvpd.hasLogoutEndpoint, mvpd.connection]))
      .digest('base64url');
    const cached = this.#entries.get(mvpd.id);
    if (cached?.fingerprint === fingerprint) return cached.built;
    const built = this.#build(mvpd, publicRoot);
    this.#entries.set(mvpd.id, { fingerprint, built });
    built.catch(() => {
      if (this.#entries.get(mvpd.id)?.built === built) this.#entries.delete(mvpd.id);
    });
    return built;
  }

  async #build(mvpd: Mvpd, publicRoot: string): Promise<DemoProvider> {
    this.#cookieKeys ??= loadCookieKeys(this.deps.keyStore).catch((error) => {
      this.#cookieKeys = undefined;
      throw error;
    });
    const [cookieKeys, signingJwk] = await Promise.all([this.#cookieKeys, loadSigningJwk(this.deps.keyStore, mvpd.id)]);
    const provider = createDemoProvider({
      mvpd,
      publicRoot,
      users: this.deps.users,
      adapter: this.deps.payloads.adapterFactory(mvpd.id),
      signingJwk,
      cookieKeys,
      logger: this.deps.logger,
    });
    const callback = provider.callback();
    return {
      mvpd,
      issuer: demoIssuer(publicRoot, mvpd.id),
      branding: { displayName: mvpd.displayName, logoUrl: mvpd.logoUrl },
      provider,
      handle: async (req, res) => {
        await callback(req, res);
      },
    };
  }
}
