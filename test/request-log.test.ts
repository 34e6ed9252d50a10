/**
 * No secret reaches the log (issue 9): a server logging everything (level trace) into memory serves
 * an app's whole life, end to end — registration (the statement also in a query string), access
 * tokens (the client secret in a query string, as Adobe's OpenAPI has it), a session and its code,
 * the sign-in at the demo MVPD (authorization code, state, nonce), decisions with media tokens, a
 * household token, the logout round trip (its one-time state, the ID token as a hint) and admin
 * calls — and then no secret the test used or saw appears in any log line, plain or
 * percent-encoded.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SECRET_QUERY_PARAMETERS } from '../src/platform/http/redact.js';
import { createLogger } from '../src/platform/logger.js';
import { type TestDatabase, testDatabases } from './support/databases.js';
import { call, registerClient, softwareStatement } from './support/pass-client.js';
import { walkLogin } from './support/pass-login.js';
import { startTestServer, type TestServer } from './support/server.js';
import { device } from './support/stored-profiles.js';
import { forms, UserAgent } from './support/user-agent.js';

const SP = 'DemoChannel';
const SIGNED_IN = 'http://localhost:3000/signed-in';
const SIGNED_OUT = 'http://localhost:3000/signed-out';

for (const kind of testDatabases()) {
  describe(`issue 9: secrets are never logged, on ${kind.name}`, () => {
    let database: TestDatabase;
    let server: TestServer;
    const lines: string[] = [];
    /** Every secret the test sends or receives. */
    const secrets = new Set<string>();
    /** Every URL the user agent opens. */
    const visited: string[] = [];

    const keep = (...values: (string | undefined | null)[]) => {
      for (const value of values) if (typeof value === 'string' && value.length >= 6) secrets.add(value);
    };

    before(async () => {
      database = await kind.create();
      const logger = createLogger(
        'trace',
        new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      );
      server = await startTestServer(database, { DOMUS_DEMO: 'true' }, { logger });
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    it('logs every request without the secrets, codes and tokens it carries', async () => {
      keep(server.adminToken, server.domus.secrets.masterKey.toString('base64'));
      const statement = await softwareStatement(server.admin);
      keep(statement);

      // DCR: the statement in the body and in the query string; credentials in the query string.
      const registered = await call(server.url, 'POST', `/o/client/register?software_statement=${statement}`, {
        json: { software_statement: statement },
      });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      keep(registered.body.client_secret);
      const client = await registerClient(server.url, statement);
      keep(client.client_secret);
      const query = new URLSearchParams({ ...client, grant_type: 'client_credentials' });
      const issued = await call(server.url, 'POST', `/o/client/token?${query}`);
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const token: string = issued.body.access_token;
      keep(token);
      const wrong = new URLSearchParams({ ...client, client_secret: `${client.client_secret}-wrong` });
      keep(wrong.get('client_secret'));
      assert.equal(
        (await call(server.url, 'POST', `/o/client/token?${wrong}&grant_type=client_credentials`)).status,
        400,
      );
      const fromForm = await call(server.url, 'POST', '/o/client/token', {
        form: { ...client, grant_type: 'client_credentials' },
      });
      keep(fromForm.body.access_token);

      // A session, read and resumed by its code, and signed in through the demo MVPD.
      const tv = device('log-tv');
      const created = await call(server.url, 'POST', `/api/v2/${SP}/sessions`, {
        token,
        headers: tv.headers,
        form: { mvpd: 'DemoCable', domainName: 'localhost', redirectUrl: SIGNED_IN },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const code: string = created.body.code;
      keep(code);
      assert.equal((await call(server.url, 'GET', `/api/v2/${SP}/sessions/${code}`, { token })).status, 200);
      assert.equal((await call(server.url, 'GET', `/api/v2/${SP}/profiles/code/${code}`, { token })).status, 200);
      const agent = new UserAgent((url) => {
        visited.push(url.href);
        return url;
      });
      const reached = await walkLogin(agent, `${server.url}/api/v2/authenticate/${SP}/${code}`, 'alice', (url) =>
        url.startsWith(SIGNED_IN),
      );
      assert.equal(reached, SIGNED_IN);
      const polled = await call(server.url, 'GET', `/api/v2/${SP}/profiles/code/${code.toLowerCase()}`, { token });
      assert.ok(polled.body.profiles.DemoCable, JSON.stringify(polled.body));

      // Decisions and the household token.
      const decided = await call(server.url, 'POST', `/api/v2/${SP}/decisions/authorize/DemoCable`, {
        token,
        headers: tv.headers,
        json: { resources: ['DemoChannel'] },
      });
      keep(decided.body.decisions?.[0]?.token?.serializedToken);
      const household = await call(server.url, 'POST', `/api/v2/${SP}/tokens/domain/DemoCable`, {
        token,
        headers: tv.headers,
      });
      assert.equal(household.status, 200, JSON.stringify(household.body));
      keep(household.body.token);

      // Logout and its round trip through the MVPD (its one-time link, the ID token as a hint).
      const loggedOut = await call(
        server.url,
        'GET',
        `/api/v2/${SP}/logout/DemoCable?redirectUrl=${encodeURIComponent(SIGNED_OUT)}`,
        { token, headers: tv.headers },
      );
      const logoutUrl: string = loggedOut.body.logouts.DemoCable.url;
      keep(logoutUrl.split('/').at(-1));
      const confirm = await agent.follow(await agent.get(logoutUrl));
      assert.ok(typeof confirm !== 'string' && confirm.status === 200, 'the MVPD asks to confirm');
      const form = forms(confirm.body).find((f) => f.id === 'op.logoutForm');
      assert.ok(form);
      keep(...Object.values(form.fields));
      const back = await agent.follow(await agent.post(form.action, { ...form.fields, logout: 'yes' }), (url) =>
        url.startsWith(SIGNED_OUT),
      );
      assert.equal(back, SIGNED_OUT);

      // What the user agent carried: query secrets and cookies.
      for (const url of visited) {
        for (const [name, value] of new URL(url).searchParams) {
          if (SECRET_QUERY_PARAMETERS.has(name.toLowerCase())) keep(value);
        }
      }
      // Cookies: every value but the interaction cookies', which hold the interaction's uid, an
      // identifier the provider puts in its own URLs (usable only with the cookies' signatures,
      // which are kept as secrets).
      for (const cookie of agent.setCookies) {
        const [name = '', ...value] = (cookie.split(';')[0] ?? '').split('=');
        if (name !== '_interaction' && name !== '_interaction_resume') keep(value.join('='));
      }

      const log = lines.join('');
      assert.ok(secrets.size >= 15, `${secrets.size} secrets`);
      for (const secret of secrets) {
        for (const spelling of new Set([secret, encodeURIComponent(secret)])) {
          const at = log.indexOf(spelling);
          assert.equal(at, -1, `a secret is logged: …${log.slice(Math.max(0, at - 200), at + 40)}…`);
        }
      }
      // The lines are there, with the secrets' places marked.
      assert.match(log, /"url":"\/o\/client\/token\?client_id=[^"]*client_secret=\[redacted\]/);
      assert.match(log, /"url":"\/api\/v2\/DemoChannel\/sessions\/\[redacted\]"/);
    });
  });
}
