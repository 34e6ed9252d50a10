/**
 * The fuzz test's request templates for the admin API, the demo identity provider and the
 * server's other routes (the rest are in fuzz-templates.ts).
 */
import { mvpdCallbackUrl, mvpdLogoutCallbackUrl } from '../../src/entitlements/mvpd/paths.js';
import type { Body, Template } from './fuzz-cases.js';
import { draft, type Fixtures, helpers, MVPD, query } from './fuzz-fixtures.js';

const t = (template: Template) => template;

export function adminTemplates(f: Fixtures): Template[] {
  const { admin, anon, sp, policy, mvpdBody, application } = helpers(f);
  /** An application's body (POST and PUT take the same), with the types the fuzzer may break. */
  const applicationBody = (): Body => ({
    kind: 'json',
    value: structuredClone(application),
    types: { name: ['string'], serviceProviders: ['array'], redirectDomains: ['array'] },
    required: ['name', 'serviceProviders', 'redirectDomains'],
  });
  return [
    // Admin API.
    t({
      name: 'admin-domains',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'GET',
          '/admin/v1/domains',
          {},
          { headers: admin(), query: query({ mode: 'anonymous', q: 'fuzz', limit: '10' }) },
        ),
    }),
    t({
      name: 'admin-domain',
      area: 'admin',
      auth: 'admin',
      draft: () => draft('GET', '/admin/v1/domains/anonymous/:name', anon, { headers: admin() }),
    }),
    t({
      name: 'admin-domain-put',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft('PUT', '/admin/v1/domains/anonymous/:name', anon, {
          headers: admin(),
          body: {
            kind: 'json',
            value: {
              ...policy,
              removalLimit: { removals: 1, periodSeconds: 86_400 },
              evictAfterSeconds: 86_400,
              keyRetentionSeconds: null,
            },
            types: {
              authRequired: ['boolean'],
              authNamespace: ['string', 'null'],
              maxMembership: ['integer', 'null'],
              disabled: ['boolean'],
              removalLimit: ['object', 'null'],
              evictAfterSeconds: ['integer', 'null'],
              keyRetentionSeconds: ['integer', 'null'],
            },
            required: [],
          },
        }),
    }),
    t({
      name: 'admin-members',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft('GET', '/admin/v1/domains/anonymous/:name/members', anon, {
          headers: admin(),
          query: query({ limit: '5' }),
        }),
    }),
    t({
      name: 'admin-events',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft('GET', '/admin/v1/domains/anonymous/:name/events', anon, {
          headers: admin(),
          query: query({ limit: '5' }),
        }),
    }),
    t({
      name: 'admin-household',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'GET',
          '/admin/v1/households/:household',
          { household: 'household-1' },
          { headers: admin(), query: query({ mvpd: MVPD }) },
        ),
    }),
    t({
      name: 'admin-member-delete',
      area: 'admin',
      auth: 'admin',
      bodyless: true,
      draft: () =>
        draft(
          'DELETE',
          '/admin/v1/domains/anonymous/:name/members/:guid',
          { ...anon, guid: f.machine.guid },
          {
            headers: admin(),
          },
        ),
    }),
    t({
      name: 'admin-rollover',
      area: 'admin',
      auth: 'admin',
      bodyless: true,
      draft: () => draft('POST', '/admin/v1/domains/anonymous/:name/rollover', anon, { headers: admin() }),
    }),
    t({
      name: 'admin-suspend',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft('POST', '/admin/v1/domains/anonymous/:name/suspend', anon, {
          headers: admin(),
          body: { kind: 'json', value: { reason: 'fuzzed' }, types: { reason: ['string'] }, required: [] },
        }),
    }),
    t({
      name: 'admin-resume',
      area: 'admin',
      auth: 'admin',
      bodyless: true,
      draft: () => draft('POST', '/admin/v1/domains/anonymous/:name/resume', anon, { headers: admin() }),
    }),
    t({
      name: 'admin-removals-reset',
      area: 'admin',
      auth: 'admin',
      bodyless: true,
      draft: () => draft('POST', '/admin/v1/domains/anonymous/:name/removals/reset', anon, { headers: admin() }),
    }),
    t({
      name: 'admin-sp-put',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'PUT',
          '/admin/v1/service-providers/:id',
          { id: 'FuzzSP' },
          {
            headers: admin(),
            body: {
              kind: 'json',
              value: { displayName: 'Fuzzed' },
              types: { displayName: ['string'] },
              required: ['displayName'],
            },
          },
        ),
    }),
    t({
      name: 'admin-sp-delete',
      area: 'admin',
      auth: 'admin',
      bodyless: true,
      draft: () => draft('DELETE', '/admin/v1/service-providers/:id', { id: 'FuzzSP' }, { headers: admin() }),
    }),
    t({
      name: 'admin-mvpd-put',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'PUT',
          '/admin/v1/mvpds/:id',
          { id: 'FuzzCable' },
          {
            headers: admin(),
            body: {
              kind: 'json',
              value: structuredClone(mvpdBody),
              types: {
                displayName: ['string'],
                logoUrl: ['string'],
                protocol: ['string'],
                connection: ['object'],
                hasLogoutEndpoint: ['boolean'],
                authnTtlS: ['integer'],
                authzTtlS: ['integer'],
                entitlementClaim: ['string'],
                authNamespace: ['string'],
              },
              required: Object.keys(mvpdBody),
            },
          },
        ),
    }),
    t({
      name: 'admin-integration-put',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'PUT',
          '/admin/v1/integrations/:sp/:mvpd',
          { sp: 'FuzzSP', mvpd: MVPD },
          {
            headers: admin(),
            body: { kind: 'json', value: { active: true }, types: { active: ['boolean'] }, required: ['active'] },
          },
        ),
    }),
    t({
      name: 'admin-application-post',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'POST',
          '/admin/v1/applications',
          {},
          {
            headers: admin(),
            body: applicationBody(),
          },
        ),
    }),
    t({
      name: 'admin-application-put',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'PUT',
          '/admin/v1/applications/:id',
          { id: f.applicationId },
          {
            headers: admin(),
            body: applicationBody(),
          },
        ),
    }),
    t({
      name: 'admin-statement-rotate',
      area: 'admin',
      auth: 'admin',
      bodyless: true,
      draft: () =>
        draft('POST', '/admin/v1/applications/:id/software-statement', { id: f.applicationId }, { headers: admin() }),
    }),
    t({
      name: 'admin-stats',
      area: 'admin',
      auth: 'admin',
      draft: () => draft('GET', '/admin/v1/stats', {}, { headers: admin(), query: query({ minutes: '15' }) }),
    }),
    t({
      name: 'admin-console-password',
      area: 'admin',
      auth: 'admin',
      draft: () =>
        draft(
          'PUT',
          '/admin/v1/console/password',
          {},
          {
            headers: admin(),
            body: {
              kind: 'json',
              value: { password: 'a fuzzed passphrase' },
              types: { password: ['string'] },
              required: ['password'],
            },
          },
        ),
    }),

    // The demo identity provider (oidc-provider reads its own bodies).
    t({
      name: 'demo-discovery',
      area: 'demo',
      draft: () => draft('GET', '/demo-mvpd/:mvpd/.well-known/openid-configuration', sp),
    }),
    t({
      name: 'demo-authorize',
      area: 'demo',
      draft: () =>
        draft('GET', '/demo-mvpd/:mvpd/auth', sp, {
          query: query({
            client_id: f.demoClient.clientId,
            redirect_uri: mvpdCallbackUrl(f.publicRoot, MVPD),
            response_type: 'code',
            scope: 'openid',
            state: 's',
            nonce: 'n',
            code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
            code_challenge_method: 'S256',
          }),
        }),
    }),
    t({
      name: 'demo-token',
      area: 'demo',
      parsed: false,
      draft: () =>
        draft('POST', '/demo-mvpd/:mvpd/token', sp, {
          body: {
            kind: 'form',
            pairs: [
              ['grant_type', 'authorization_code'],
              ['code', 'x'.repeat(43)],
              ['redirect_uri', mvpdCallbackUrl(f.publicRoot, MVPD)],
              ['code_verifier', 'v'.repeat(43)],
              ['client_id', f.demoClient.clientId],
              ['client_secret', f.demoClient.clientSecret],
            ],
            required: [],
          },
        }),
    }),
    t({
      name: 'demo-end-session',
      area: 'demo',
      draft: () =>
        draft('GET', '/demo-mvpd/:mvpd/session/end', sp, {
          query: query({ post_logout_redirect_uri: mvpdLogoutCallbackUrl(f.publicRoot, MVPD), state: 's' }),
        }),
    }),
    t({
      name: 'demo-end-session-post',
      area: 'demo',
      parsed: false,
      draft: () =>
        draft('POST', '/demo-mvpd/:mvpd/session/end', sp, {
          body: {
            kind: 'form',
            pairs: [
              ['client_id', f.demoClient.clientId],
              ['state', 's'],
            ],
            required: [],
          },
        }),
    }),
    t({
      name: 'demo-end-session-confirm',
      area: 'demo',
      parsed: false,
      draft: () =>
        draft('POST', '/demo-mvpd/:mvpd/session/end/confirm', sp, {
          body: {
            kind: 'form',
            pairs: [
              ['xsrf', 'x'],
              ['logout', 'yes'],
            ],
            required: [],
          },
        }),
    }),
    t({
      name: 'demo-userinfo',
      area: 'demo',
      draft: () => draft('GET', '/demo-mvpd/:mvpd/me', sp, { headers: { authorization: 'Bearer abc' } }),
    }),
    t({
      name: 'demo-interaction',
      area: 'demo',
      draft: () => draft('GET', '/demo-mvpd/:mvpd/interaction/:uid', { ...sp, uid: 'u'.repeat(21) }),
    }),
    t({
      name: 'demo-login',
      area: 'demo',
      draft: () =>
        draft(
          'POST',
          '/demo-mvpd/:mvpd/interaction/:uid/login',
          { ...sp, uid: 'u'.repeat(21) },
          {
            body: {
              kind: 'form',
              pairs: [
                ['user', 'alice'],
                ['password', 'alice'],
              ],
              required: [],
            },
          },
        ),
    }),

    // Elsewhere.
    t({ name: 'openapi', area: 'other', draft: () => draft('GET', '/openapi.json', {}) }),
    t({ name: 'media-jwks', area: 'other', draft: () => draft('GET', '/media-tokens/jwks.json', {}) }),
    t({ name: 'nowhere', area: 'other', draft: () => draft('GET', '/nowhere/:x', { x: 'here' }) }),
  ];
}
