/**
 * The fuzz test's request templates (support/fuzz.ts): for every endpoint, a request that is
 * valid as it stands, built from the fixtures (support/fuzz-mutations.ts breaks them). Here the
 * domain protocol, DCR, the REST API V2 and its user-agent steps; the admin API and the demo
 * identity provider are in fuzz-templates-admin.ts.
 */
import { simulatedComponents } from '../../src/device/hardware.js';
import type { Template } from './fuzz-cases.js';
import { APP_URL, draft, type Fixtures, helpers, MVPD, query, SP } from './fuzz-fixtures.js';
import { adminTemplates } from './fuzz-templates-admin.js';
import { messageId, nowSeconds } from './machines.js';

export function templates(f: Fixtures): Template[] {
  return [...protocolTemplates(f), ...adminTemplates(f)];
}

const t = (template: Template) => template;

function protocolTemplates(f: Fixtures): Template[] {
  const { v2, jose, domainPayload, anon, sp } = helpers(f);
  return [
    // Domain protocol.
    ...(['v4', 'v3'] as const).flatMap((v) => [
      t({
        name: `join-identity-${v}`,
        area: 'domain',
        draft: () =>
          draft(
            'POST',
            `/flashaccess/domain/${v}`,
            {},
            {
              body: jose(domainPayload({ ver: v === 'v4' ? 5 : 3, at: f.identityToken }))(),
            },
          ),
      }),
      t({
        name: `join-anonymous-${v}`,
        area: 'domain',
        draft: () =>
          draft('POST', `/flashaccess/domainserver/:name/flashaccess/domain/${v}`, anon, {
            body: jose(domainPayload({ ver: v === 'v4' ? 5 : 3 }))(),
          }),
      }),
      t({
        name: `leave-anonymous-${v}`,
        area: 'domain',
        draft: () =>
          draft('POST', `/flashaccess/domainserver/:name/flashaccess/dereg/${v}`, anon, {
            body: jose(domainPayload({ ver: v === 'v4' ? 5 : 3, op: 'leave', phase: 'commit' }))(),
          }),
      }),
    ]),
    // Household operations (issue 11): protocol 5 only.
    t({
      name: 'members-anonymous-v4',
      area: 'domain',
      draft: () =>
        draft('POST', '/flashaccess/domainserver/:name/flashaccess/members/v4', anon, {
          body: jose(domainPayload({ ver: 5, op: 'members', limit: 10 }))(),
        }),
    }),
    t({
      name: 'remove-anonymous-v4',
      area: 'domain',
      draft: () =>
        draft('POST', '/flashaccess/domainserver/:name/flashaccess/remove/v4', anon, {
          body: jose(
            domainPayload({ ver: 5, op: 'remove', phase: 'preview', member: '0b8e3d52-4f0c-4c5e-9a51-2f1d6b7e8a90' }),
          )(),
        }),
    }),
    t({
      name: 'individualize',
      area: 'domain',
      draft: () =>
        draft(
          'POST',
          '/flashaccess/indiv/v1',
          {},
          {
            body: {
              kind: 'jose',
              header: { typ: 'domus-indiv+jws', jwk: f.indivKey.jwk },
              payload: { components: simulatedComponents('fuzz-indiv'), iat: nowSeconds(), mid: messageId() },
              key: f.indivKey.privateKey,
            },
          },
        ),
    }),
    t({ name: 'server-version', area: 'domain', draft: () => draft('GET', '/flashaccess/getServerVersion/v3', {}) }),
    t({
      name: 'server-version-anonymous',
      area: 'domain',
      draft: () => draft('GET', '/flashaccess/domainserver/:name/flashaccess/getServerVersion/v3', anon),
    }),
    t({ name: 'domain-ca', area: 'domain', draft: () => draft('GET', '/flashaccess/domain-ca.pem', {}) }),

    // Dynamic client registration.
    t({
      name: 'register',
      area: 'dcr',
      draft: () =>
        draft(
          'POST',
          '/o/client/register',
          {},
          {
            body: {
              kind: 'json',
              value: { software_statement: f.statement, redirect_uri: APP_URL },
              types: { software_statement: ['string'], redirect_uri: ['string'] },
              required: ['software_statement'],
            },
          },
        ),
    }),
    t({
      name: 'token-form',
      area: 'dcr',
      draft: () =>
        draft(
          'POST',
          '/o/client/token',
          {},
          {
            body: {
              kind: 'form',
              pairs: [
                ['client_id', f.client.client_id],
                ['client_secret', f.client.client_secret],
                ['grant_type', 'client_credentials'],
              ],
              required: ['client_id', 'client_secret', 'grant_type'],
            },
          },
        ),
    }),
    t({
      name: 'token-query',
      area: 'dcr',
      bodyless: true,
      draft: () =>
        draft('POST', '/o/client/token', {}, { query: query({ ...f.client, grant_type: 'client_credentials' }) }),
    }),

    // REST API V2, behind the access token.
    t({
      name: 'configuration',
      area: 'v2',
      auth: 'bearer',
      device: true,
      draft: () => draft('GET', '/api/v2/:sp/configuration', sp, { headers: v2(true) }),
    }),
    t({
      name: 'session-create',
      area: 'v2',
      auth: 'bearer',
      device: true,
      redirect: 'redirectUrl',
      draft: () =>
        draft('POST', '/api/v2/:sp/sessions', sp, {
          headers: v2(true),
          body: {
            kind: 'form',
            pairs: [
              ['mvpd', MVPD],
              ['domainName', 'localhost'],
              ['redirectUrl', APP_URL],
            ],
            required: [],
          },
        }),
    }),
    t({
      name: 'session-resume',
      area: 'v2',
      auth: 'bearer',
      redirect: 'redirectUrl',
      draft: () =>
        draft(
          'POST',
          '/api/v2/:sp/sessions/:code',
          { ...sp, code: f.sessionCode },
          {
            headers: v2(false),
            body: { kind: 'form', pairs: [['redirectUrl', `${APP_URL}/again`]], required: [] },
          },
        ),
    }),
    t({
      name: 'session-read',
      area: 'v2',
      auth: 'bearer',
      draft: () => draft('GET', '/api/v2/:sp/sessions/:code', { ...sp, code: f.sessionCode }, { headers: v2(false) }),
    }),
    t({
      name: 'profiles',
      area: 'v2',
      auth: 'bearer',
      device: true,
      draft: () => draft('GET', '/api/v2/:sp/profiles', sp, { headers: v2(true) }),
    }),
    t({
      name: 'profile',
      area: 'v2',
      auth: 'bearer',
      device: true,
      draft: () => draft('GET', '/api/v2/:sp/profiles/:mvpd', sp, { headers: v2(true) }),
    }),
    t({
      name: 'profile-code',
      area: 'v2',
      auth: 'bearer',
      draft: () =>
        draft('GET', '/api/v2/:sp/profiles/code/:code', { ...sp, code: f.sessionCode }, { headers: v2(false) }),
    }),
    ...['authorize', 'preauthorize'].map((decision) =>
      t({
        name: decision,
        area: 'v2',
        auth: 'bearer',
        device: true,
        draft: () =>
          draft('POST', `/api/v2/:sp/decisions/${decision}/:mvpd`, sp, {
            headers: v2(true),
            body: {
              kind: 'json',
              value: { resources: [SP] },
              types: { resources: ['array'] },
              required: ['resources'],
            },
          }),
      }),
    ),
    t({
      name: 'logout',
      area: 'v2',
      auth: 'bearer',
      device: true,
      redirect: 'redirectUrl',
      draft: () =>
        draft('GET', '/api/v2/:sp/logout/:mvpd', sp, { headers: v2(true), query: query({ redirectUrl: APP_URL }) }),
    }),
    t({
      name: 'household-token',
      area: 'v2',
      auth: 'bearer',
      device: true,
      bodyless: true,
      draft: () => draft('POST', '/api/v2/:sp/tokens/domain/:mvpd', sp, { headers: v2(true) }),
    }),
    t({ name: 'saml-metadata', area: 'v2', draft: () => draft('GET', '/api/v2/saml-metadata/:mvpd', sp) }),

    // The user-agent steps (HTML pages) and the MVPDs' callbacks.
    t({
      name: 'authenticate',
      area: 'page',
      draft: () =>
        draft(
          'GET',
          '/api/v2/authenticate/:sp/:code',
          { ...sp, code: f.sessionCode },
          { query: query({ mvpd: MVPD }) },
        ),
    }),
    t({
      name: 'mvpd-callback',
      area: 'page',
      draft: () =>
        draft('GET', '/api/v2/mvpd-callback/:mvpd', sp, { query: query({ state: 'x'.repeat(43), code: 'c' }) }),
    }),
    t({
      name: 'saml-acs',
      area: 'page',
      draft: () =>
        draft('POST', '/api/v2/saml-acs/:mvpd', sp, {
          body: {
            kind: 'form',
            pairs: [
              ['SAMLResponse', Buffer.from('<samlp:Response/>').toString('base64')],
              ['RelayState', 'x'.repeat(43)],
            ],
            required: [],
          },
        }),
    }),
    t({
      name: 'logout-flow',
      area: 'page',
      draft: () => draft('GET', '/api/v2/logout-flow/:state', { state: f.logoutState }),
    }),
    t({
      name: 'logout-callback',
      area: 'page',
      draft: () => draft('GET', '/api/v2/mvpd-logout-callback/:mvpd', sp, { query: query({ state: f.logoutState }) }),
    }),
    t({
      name: 'saml-slo',
      area: 'page',
      draft: () =>
        draft('GET', '/api/v2/saml-slo/:mvpd', sp, {
          query: query({ SAMLResponse: 'eJw=', RelayState: f.logoutState, SigAlg: 'x', Signature: 'eA==' }),
        }),
    }),
  ];
}
