/**
 * Operator routes of the entitlement API under /admin/v1 (docs/entitlement-api.md, "Operator
 * setup"): service providers, MVPDs, integrations, registered applications and their software
 * statements. MVPD client secrets go in and never come out.
 *
 * An MVPD's `protocol` and its connection's `kind` go together (`oidc` ↔ `oidc` or `builtin`,
 * `saml` ↔ `saml`); a SAML connection's `sloUrl` is there exactly when `hasLogoutEndpoint` is
 * true, and its certificates must be PEM X.509 certificates of RSA keys (the XML signatures Domus
 * verifies are RSA).
 *
 * The lists page (`?cursor=&limit=`, answered with `nextCursor`; operator/paging.ts), ordered by
 * id, integrations by service provider then MVPD. A refusal names the body field at fault
 * (`error.field`) whenever there is one.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { AdminError, type AdminGuard, adminErrors, adminScope, adminSecurity } from '../../platform/http/admin.js';
import type { HttpServer } from '../../platform/http/server.js';
import { type Application, type Mvpd, protocolOf } from '../operator/model.js';
import type { SoftwareStatements } from '../operator/software-statements.js';
import type { OperatorStore } from '../operator/store.js';
import { connectionError } from './connection-errors.js';
import {
  ApplicationInput,
  ApplicationView,
  Id,
  Integration,
  MvpdInput,
  MvpdView,
  PageOf,
  PageQuery,
  pageSize,
  ServiceProvider,
  ServiceProviderInput,
  Statement,
} from './operator-schemas.js';

export const DEFAULT_SCOPES = ['api:client:v2'];
const security = adminSecurity;

export async function operatorRoutes(
  app: HttpServer,
  deps: { store: OperatorStore; statements: SoftwareStatements; guard: AdminGuard },
): Promise<void> {
  const { store, statements } = deps;
  adminScope(app, deps.guard);
  const notFound = (what: string) => new AdminError(404, 'not_found', `no such ${what}`);
  const page = (query: { cursor?: string; limit?: string }) => ({ cursor: query.cursor, limit: pageSize(query.limit) });

  // Service providers
  let tags = ['admin: service providers'];
  app.get(
    '/service-providers',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(ServiceProvider), ...adminErrors },
      },
    },
    async (request) => store.pageServiceProviders(page(request.query)),
  );
  app.get(
    '/service-providers/:id',
    { schema: { tags, security, params: Type.Object({ id: Id }), response: { 200: ServiceProvider, ...adminErrors } } },
    async (request) => {
      return (await store.serviceProvider(request.params.id)) ?? Promise.reject(notFound('service provider'));
    },
  );
  app.put(
    '/service-providers/:id',
    {
      schema: {
        tags,
        security,
        params: Type.Object({ id: Id }),
        body: ServiceProviderInput,
        response: { 200: ServiceProvider, 201: ServiceProvider, ...adminErrors },
      },
    },
    async (request, reply) => {
      const sp = { id: request.params.id, displayName: request.body.displayName };
      return reply.status((await store.putServiceProvider(sp)) ? 201 : 200).send(sp);
    },
  );
  app.delete(
    '/service-providers/:id',
    { schema: { tags, security, params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...adminErrors } } },
    async (request, reply) => {
      if (!(await store.deleteServiceProvider(request.params.id))) throw notFound('service provider');
      return reply.status(204).send(null);
    },
  );

  // MVPDs
  tags = ['admin: MVPDs'];
  app.get(
    '/mvpds',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(MvpdView), ...adminErrors },
      },
    },
    async (request) => {
      const mvpds = await store.pageMvpds(page(request.query));
      return { ...mvpds, items: mvpds.items.map(mvpdView) };
    },
  );
  app.get(
    '/mvpds/:id',
    { schema: { tags, security, params: Type.Object({ id: Id }), response: { 200: MvpdView, ...adminErrors } } },
    async (request) => {
      const mvpd = await store.mvpd(request.params.id);
      if (!mvpd) throw notFound('MVPD');
      return mvpdView(mvpd);
    },
  );
  app.put(
    '/mvpds/:id',
    {
      schema: {
        tags,
        security,
        summary:
          'create or replace an MVPD: an OpenID Connect provider, a SAML 2.0 IdP, or a builtin connection served by Domus itself (demo provider)',
        params: Type.Object({ id: Id }),
        body: MvpdInput,
        response: { 200: MvpdView, 201: MvpdView, ...adminErrors },
      },
      // A refused connection is refused by the kind it names (connection-errors.ts).
      attachValidation: true,
    },
    async (request, reply) => {
      const failure = request.validationError;
      if (failure) throw connectionError(failure, request.body) ?? failure;
      const body = request.body as Static<typeof MvpdInput>;
      const input = body.connection;
      if (protocolOf(input) !== body.protocol) {
        throw new AdminError(
          400,
          'invalid_request',
          `protocol ${body.protocol} does not go with a ${input.kind} connection`,
          'protocol',
        );
      }
      let connection: Mvpd['connection'];
      if (input.kind === 'saml') {
        if (body.hasLogoutEndpoint !== (input.sloUrl !== undefined)) {
          throw new AdminError(
            400,
            'invalid_request',
            'a SAML MVPD has a logout endpoint exactly when its connection has an sloUrl: set both or neither',
            'connection.sloUrl',
          );
        }
        connection = { ...input, certificates: input.certificates.map(signingCertificate) };
      } else if (input.kind === 'oidc') {
        const clientSecret = input.clientSecret ?? (await storedSecret(request.params.id));
        connection = { ...input, clientSecret, scopes: input.scopes ?? ['openid', 'profile'] };
      } else {
        const existing = await store.mvpd(request.params.id);
        connection =
          existing?.connection.kind === 'builtin'
            ? existing.connection
            : { kind: 'builtin', clientId: `domus-${request.params.id}`, clientSecret: randomUUID() };
      }
      const mvpd: Mvpd = { id: request.params.id, ...body, connection };
      const created = await store.putMvpd(mvpd);
      return reply.status(created ? 201 : 200).send(mvpdView(mvpd));
    },
  );
  app.delete(
    '/mvpds/:id',
    { schema: { tags, security, params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...adminErrors } } },
    async (request, reply) => {
      if (!(await store.deleteMvpd(request.params.id))) throw notFound('MVPD');
      return reply.status(204).send(null);
    },
  );

  /** An OIDC MVPD's stored client secret, which an update may leave out; 400 when there is none to keep. */
  const storedSecret = async (id: string) => {
    const existing = await store.mvpd(id);
    if (existing?.connection.kind === 'oidc') return existing.connection.clientSecret;
    throw new AdminError(
      400,
      'invalid_request',
      'body/connection must have required property clientSecret (a new OIDC connection)',
      'connection.clientSecret',
    );
  };

  // Integrations
  tags = ['admin: integrations'];
  const IntegrationParams = Type.Object({ serviceProvider: Id, mvpd: Id });
  app.get(
    '/integrations',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object({ serviceProvider: Type.Optional(Id), ...PageQuery }),
        response: { 200: PageOf(Integration), ...adminErrors },
      },
    },
    async (request) => store.pageIntegrations(request.query.serviceProvider, page(request.query)),
  );
  app.get(
    '/integrations/:serviceProvider/:mvpd',
    { schema: { tags, security, params: IntegrationParams, response: { 200: Integration, ...adminErrors } } },
    async (request) => {
      const integration = await store.integration(request.params.serviceProvider, request.params.mvpd);
      if (!integration) throw notFound('integration');
      return integration;
    },
  );
  app.put(
    '/integrations/:serviceProvider/:mvpd',
    {
      schema: {
        tags,
        security,
        params: IntegrationParams,
        body: Type.Object({ active: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Integration, 201: Integration, ...adminErrors },
      },
    },
    async (request, reply) => {
      const { serviceProvider, mvpd } = request.params;
      if (!(await store.serviceProvider(serviceProvider))) throw notFound('service provider');
      if (!(await store.mvpd(mvpd))) throw notFound('MVPD');
      const integration = { serviceProviderId: serviceProvider, mvpdId: mvpd, active: request.body.active };
      return reply.status((await store.putIntegration(integration)) ? 201 : 200).send(integration);
    },
  );
  app.delete(
    '/integrations/:serviceProvider/:mvpd',
    { schema: { tags, security, params: IntegrationParams, response: { 204: Type.Null(), ...adminErrors } } },
    async (request, reply) => {
      if (!(await store.deleteIntegration(request.params.serviceProvider, request.params.mvpd)))
        throw notFound('integration');
      return reply.status(204).send(null);
    },
  );

  // Registered applications
  tags = ['admin: applications'];
  const save = async (id: string, body: Static<typeof ApplicationInput>) => {
    for (const [index, sp] of body.serviceProviders.entries()) {
      if (!(await store.serviceProvider(sp)))
        throw new AdminError(400, 'invalid_request', `no such service provider: ${sp}`, `serviceProviders.${index}`);
    }
    return store.putApplication({ id, ...body, scopes: body.scopes ?? DEFAULT_SCOPES });
  };
  app.get(
    '/applications',
    {
      schema: {
        tags,
        security,
        querystring: Type.Object(PageQuery),
        response: { 200: PageOf(ApplicationView), ...adminErrors },
      },
    },
    async (request) => {
      const applications = await store.pageApplications(page(request.query));
      return { ...applications, items: applications.items.map(applicationView) };
    },
  );
  app.post(
    '/applications',
    { schema: { tags, security, body: ApplicationInput, response: { 201: ApplicationView, ...adminErrors } } },
    async (request, reply) => {
      const { application } = await save(randomUUID(), request.body);
      return reply.status(201).send(applicationView(application));
    },
  );
  app.get(
    '/applications/:id',
    { schema: { tags, security, params: Type.Object({ id: Id }), response: { 200: ApplicationView, ...adminErrors } } },
    async (request) => {
      const application = await store.application(request.params.id);
      if (!application) throw notFound('application');
      return applicationView(application);
    },
  );
  app.put(
    '/applications/:id',
    {
      schema: {
        tags,
        security,
        params: Type.Object({ id: Id }),
        body: ApplicationInput,
        response: { 200: ApplicationView, 201: ApplicationView, ...adminErrors },
      },
    },
    async (request, reply) => {
      const { created, application } = await save(request.params.id, request.body);
      return reply.status(created ? 201 : 200).send(applicationView(application));
    },
  );
  app.delete(
    '/applications/:id',
    { schema: { tags, security, params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...adminErrors } } },
    async (request, reply) => {
      if (!(await store.deleteApplication(request.params.id))) throw notFound('application');
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/applications/:id/software-statement',
    {
      schema: {
        tags,
        security,
        summary: "the application's current software statement",
        params: Type.Object({ id: Id }),
        response: { 200: Statement, ...adminErrors },
      },
    },
    async (request) => {
      const application = await store.application(request.params.id);
      if (!application) throw notFound('application');
      return { software_statement: await statements.sign(application) };
    },
  );
  app.post(
    '/applications/:id/software-statement',
    {
      schema: {
        tags,
        security,
        summary: 'issue a new software statement; the old one and its client registrations stop working',
        params: Type.Object({ id: Id }),
        response: { 200: Statement, ...adminErrors },
      },
    },
    async (request) => {
      const application = await store.rotateStatement(request.params.id);
      if (!application) throw notFound('application');
      return { software_statement: await statements.sign(application) };
    },
  );
}

function mvpdView(mvpd: Mvpd) {
  if (mvpd.connection.kind === 'saml') return mvpd;
  const { clientSecret: _secret, ...connection } = mvpd.connection;
  return { ...mvpd, connection };
}

/** A certificate of the operator's input as normalized PEM; refused when it is none or holds no RSA key. */
function signingCertificate(pem: string, index: number): string {
  const where = `body/connection/certificates/${index}`;
  const field = `connection.certificates.${index}`;
  if (!/^\s*-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(pem)) {
    throw new AdminError(400, 'invalid_request', `${where} must be one PEM certificate`, field);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new AdminError(400, 'invalid_request', `${where} is not a valid X.509 certificate`, field);
  }
  const type = certificate.publicKey.asymmetricKeyType;
  if (type !== 'rsa') {
    throw new AdminError(
      400,
      'invalid_request',
      `${where} holds a ${type} key; Domus verifies RSA signatures only`,
      field,
    );
  }
  return certificate.toString();
}

function applicationView(application: Application) {
  const { statementId: _statement, ...view } = application;
  return view;
}
