/**
 * The demo data of the embedded default (README, "Sign in with a demo MVPD"): service provider
 * DemoChannel, MVPDs DemoCable (with a logout endpoint) and DemoSat (without), both served by the
 * built-in demo identity provider and integrated with DemoChannel, and the application demo-app.
 */
import type { OperatorStore } from './operator/store.js';

export const DEMO_SERVICE_PROVIDER = 'DemoChannel';
export const DEMO_APPLICATION = 'demo-app';
export const DEMO_MVPDS = [
  { id: 'DemoCable', displayName: 'Demo Cable', hasLogoutEndpoint: true },
  { id: 'DemoSat', displayName: 'Demo Satellite', hasLogoutEndpoint: false },
] as const;

/** Seeds the demo data once: only into a database with no service provider yet. Answers whether it did. */
export async function seedDemoData(store: OperatorStore): Promise<boolean> {
  if ((await store.listServiceProviders()).length > 0) return false;
  await store.putServiceProvider({ id: DEMO_SERVICE_PROVIDER, displayName: 'Demo Channel' });
  for (const mvpd of DEMO_MVPDS) {
    await store.putMvpd({
      ...mvpd,
      logoUrl: logo(mvpd.displayName, mvpd.id === 'DemoCable' ? '#1f6feb' : '#b35900'),
      protocol: 'oidc',
      connection: { kind: 'builtin', clientId: `domus-${mvpd.id}`, clientSecret: crypto.randomUUID() },
      authnTtlS: 30 * 86_400,
      authzTtlS: 300,
      entitlementClaim: 'channels',
      authNamespace: mvpd.id,
    });
    await store.putIntegration({ serviceProviderId: DEMO_SERVICE_PROVIDER, mvpdId: mvpd.id, active: true });
  }
  await store.putApplication({
    id: DEMO_APPLICATION,
    name: 'Demo application',
    serviceProviders: [DEMO_SERVICE_PROVIDER],
    redirectDomains: ['localhost', '127.0.0.1'],
    scopes: ['api:client:v2'],
  });
  return true;
}

/** A small self-contained SVG logo, as a data URL, so the demo needs no file server. */
function logo(text: string, color: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48"><rect width="160" height="48" rx="8" fill="${color}"/><text x="80" y="30" font-family="sans-serif" font-size="18" fill="#fff" text-anchor="middle">${text}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
