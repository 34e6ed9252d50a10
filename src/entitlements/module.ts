/**
 * The entitlement API (TV-Everywhere sign-in and sign-out) as one module: its operator model,
 * its keys and its routes, built from the shared platform pieces it is given.
 *
 * App-facing routes are listed in `mount` by scope (api/pass-api.ts draws the scopes): DCR
 * under /o, then the REST API V2 routes that need no token and those behind the access token.
 */

import type { Registry } from 'prom-client';
import type { Config } from '../platform/config.js';
import type { CryptoWorkers } from '../platform/crypto/crypto-workers.js';
import type { Sealer } from '../platform/crypto/sealing.js';
import type { AdminGuard } from '../platform/http/admin.js';
import type { HttpServer } from '../platform/http/server.js';
import type { KeyStore } from '../platform/keys/key-store.js';
import { Throttle } from '../platform/limits/throttle.js';
import type { Logger } from '../platform/logger.js';
import type { Activity } from '../platform/ops/activity.js';
import type { Storage } from '../platform/storage/database.js';
import { CorsOrigins } from './api/cors.js';
import { mountPassApi } from './api/pass-api.js';
import { AccessTokens } from './dcr/access-tokens.js';
import { ClientRegistrations } from './dcr/client-registrations.js';
import { Dcr } from './dcr/dcr-service.js';
import { DecisionService } from './decisions/decision-service.js';
import { seedDemoData } from './demo-data.js';
import { DOMAIN_TOKEN_TTL_S, DomainTokenService } from './household/domain-tokens.js';
import { type HouseholdDomainLookup, HouseholdView } from './household/household-view.js';
import { LogoutFlow } from './logout/logout-flow.js';
import { LogoutService } from './logout/logout-service.js';
import { EntitlementMetrics } from './metrics.js';
import { mountDemoProviders } from './mvpd/demo/mount.js';
import { DemoUsers } from './mvpd/demo/users.js';
import { OidcConnectors } from './mvpd/oidc-connector.js';
import { SamlConnectors } from './mvpd/saml/saml-connector.js';
import { SpCredentialSource } from './mvpd/saml/sp-credentials.js';
import { SoftwareStatements } from './operator/software-statements.js';
import { OperatorStore } from './operator/store.js';
import { ProfileQueries } from './profiles/profile-queries.js';
import { ProfileStore } from './profiles/profile-store.js';
import { authenticateRoutes } from './routes/authenticate-routes.js';
import { configurationRoutes } from './routes/configuration-routes.js';
import { dcrRoutes } from './routes/dcr-routes.js';
import { decisionRoutes } from './routes/decision-routes.js';
import { householdRoutes } from './routes/household-routes.js';
import { householdViewRoutes } from './routes/household-view-routes.js';
import { logoutFlowRoutes } from './routes/logout-flow-routes.js';
import { logoutRoutes } from './routes/logout-routes.js';
import { mediaTokenRoutes } from './routes/media-token-routes.js';
import { operatorRoutes } from './routes/operator-routes.js';
import { profileRoutes } from './routes/profile-routes.js';
import { samlMetadataRoutes } from './routes/saml-metadata-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { SessionParameterChecks } from './sessions/session-parameters.js';
import { SessionService } from './sessions/session-service.js';
import { SessionStore } from './sessions/session-store.js';
import { HouseholdTokens } from './tokens/household-tokens.js';
import { MediaTokens } from './tokens/media-tokens.js';
import { UserAgentFlows } from './user-agent/flow-store.js';
import { LoginFlows } from './user-agent/login-flow.js';

export interface EntitlementModule {
  store: OperatorStore;
  statements: SoftwareStatements;
  registrations: ClientRegistrations;
  accessTokens: AccessTokens;
  /** The request throttle, or null when DOMUS_THROTTLE is off. */
  throttle: Throttle | null;
  profiles: ProfileStore;
  mediaTokens: MediaTokens;
  /** Issuer of the household domain tokens; the domain server trusts its public key. */
  householdTokens: HouseholdTokens;
  /** Seeds the demo data into an empty database; answers whether it did. */
  seedDemo(): Promise<boolean>;
  /** Mounts the app-facing routes and the built-in demo MVPDs. */
  mount(app: HttpServer): Promise<void>;
  /**
   * Mounts the operator routes under /admin/v1 (on the public or the management listener);
   * `domainOf` answers a household's identity domain for the household view (the domain module).
   */
  mountAdmin(app: HttpServer, guard: AdminGuard, domainOf: HouseholdDomainLookup): Promise<void>;
}

export async function createEntitlementModule(parts: {
  config: Pick<Config, 'throttle' | 'accessTokenTtlS' | 'demoUsersFile' | 'mediaTokenTtlS'>;
  storage: Storage;
  keyStore: KeyStore;
  sealer: Sealer;
  /** Signs the media tokens off the event loop. */
  crypto: CryptoWorkers;
  publicRoot: () => string;
  logger: Logger;
  /** Where the module's counters go (platform/metrics/ serves it). */
  metrics: Registry;
  /** The shared activity counts (platform/ops/activity.ts). */
  activity: Activity;
}): Promise<EntitlementModule> {
  const metrics = new EntitlementMetrics(parts.metrics, parts.activity);
  const store = new OperatorStore(parts.storage, parts.sealer);
  const statements = await SoftwareStatements.load(parts.keyStore);
  const registrations = new ClientRegistrations(parts.storage);
  const accessTokens = await AccessTokens.load(parts.keyStore, parts.config.accessTokenTtlS);
  const throttle = parts.config.throttle ? new Throttle(parts.storage, 'api', parts.config.throttle) : null;
  const dcr = new Dcr({ statements, store, registrations, tokens: accessTokens });
  const demoUsers = DemoUsers.load(parts.config.demoUsersFile);
  const profiles = new ProfileStore(parts.storage.db, parts.sealer, parts.storage.dialect);
  const flows = new UserAgentFlows(parts.storage.db, parts.sealer);
  const connectors = new OidcConnectors({ publicRoot: parts.publicRoot });
  // Domus's SAML SP key and certificate are made on first use (RSA generation costs ~200 ms).
  const saml = new SamlConnectors({
    publicRoot: parts.publicRoot,
    credentials: new SpCredentialSource(parts.keyStore),
  });
  const sessionStore = new SessionStore(parts.storage.db);
  const checks = new SessionParameterChecks(store);
  const sessions = new SessionService({ sessions: sessionStore, profiles, checks });
  const profileQueries = new ProfileQueries({ profiles, sessions: sessionStore, store, checks });
  const logins = new LoginFlows({ flows, sessions: sessionStore, profiles, store, connectors, saml, metrics });
  const mediaTokens = await MediaTokens.load(parts.keyStore, parts.config.mediaTokenTtlS, parts.crypto);
  const householdTokens = await HouseholdTokens.load(parts.keyStore, DOMAIN_TOKEN_TTL_S);
  const decisions = new DecisionService({ store, profiles, mediaTokens, metrics });
  const logouts = new LogoutService({ store, profiles, flows, publicRoot: parts.publicRoot, metrics });
  const logoutFlow = new LogoutFlow({ store, flows, profiles, connectors, saml, logger: parts.logger });
  const domainTokens = new DomainTokenService({ store, profiles, tokens: householdTokens });
  return {
    store,
    statements,
    registrations,
    accessTokens,
    throttle,
    profiles,
    mediaTokens,
    householdTokens,
    seedDemo: () => seedDemoData(store),
    async mountAdmin(app, guard, domainOf) {
      await app.register(async (scope) => operatorRoutes(scope, { store, statements, guard }), {
        prefix: '/admin/v1',
      });
      const view = new HouseholdView({ store, profiles, domainOf });
      await app.register(async (scope) => householdViewRoutes(scope, { view, guard }), { prefix: '/admin/v1' });
    },
    async mount(app) {
      await mountPassApi(
        app,
        {
          cors: new CorsOrigins(store),
          throttle,
          context: { tokens: accessTokens, registrations, store },
          activity: parts.activity,
        },
        {
          dcr: [dcrRoutes(dcr)],
          v2Public: [logoutFlowRoutes(logoutFlow), authenticateRoutes(logins), samlMetadataRoutes(store, saml)],
          v2Authenticated: [
            configurationRoutes(store),
            sessionRoutes(sessions),
            profileRoutes(profileQueries),
            decisionRoutes(decisions),
            logoutRoutes(logouts),
            householdRoutes(domainTokens),
          ],
        },
      );
      mediaTokenRoutes(app, mediaTokens);
      // The built-in demo MVPDs: one OIDC provider per MVPD whose connection is `builtin`.
      await mountDemoProviders(app, {
        storage: parts.storage,
        keyStore: parts.keyStore,
        operatorStore: store,
        publicRoot: parts.publicRoot,
        users: demoUsers,
        logger: parts.logger,
      });
    },
  };
}
