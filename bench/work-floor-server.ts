/**
 * The work floor of the entitlement API: the database statements and the cryptography that
 * authorize and logout must do, behind a bare fastify route, with nothing of the API around them
 * (no access token, no device headers, no operator data, no validation, no enhanced errors). Its
 * rate is about the most any server could answer these requests with on this database and
 * machine, so it tells how much of the API's rate the API itself costs, and whether the
 * ÷ fastify target is within reach at all.
 *
 *   GET /authorize/{device}  reads the device's profile and opens its sealed upstream
 *                            (ProfileStore.find), then signs a media token on the crypto workers
 *                            (MediaTokens.issue, with the server's own key)
 *   GET /logout/{device}     seals a pending logout, then deletes the profile and stores the
 *                            record in one write (ProfileStore.takeForLogout)
 *
 * Both answer 200 when the device had an unexpired profile, else 404. Run as a child process by
 * the benchmark with BENCH_FLOOR = JSON { target, masterKey (base64), clientId, serviceProvider,
 * mvpd }, on the database of the server under test; prints `floor <url>` once listening.
 */
import Fastify from 'fastify';
import { beginPendingLogout } from '../src/entitlements/logout/pending-logout.js';
import { ProfileStore } from '../src/entitlements/profiles/profile-store.js';
import { MediaTokens } from '../src/entitlements/tokens/media-tokens.js';
import { UserAgentFlows } from '../src/entitlements/user-agent/flow-store.js';
import { type DatabaseTarget, defaultCryptoWorkers } from '../src/platform/config.js';
import { CryptoWorkers } from '../src/platform/crypto/crypto-workers.js';
import { Sealer } from '../src/platform/crypto/sealing.js';
import { KeyStore } from '../src/platform/keys/key-store.js';
import { openStorage } from '../src/platform/storage/database.js';

interface FloorSettings {
  target: DatabaseTarget;
  masterKey: string;
  clientId: string;
  serviceProvider: string;
  mvpd: string;
}

/** domus serve's default media token lifetime (DOMUS_MEDIA_TOKEN_TTL_S). */
const MEDIA_TOKEN_TTL_S = 420;

const settings = JSON.parse(process.env.BENCH_FLOOR ?? '') as FloorSettings;
const storage = openStorage(settings.target);
const sealer = new Sealer(Buffer.from(settings.masterKey, 'base64'));
const crypto = new CryptoWorkers(defaultCryptoWorkers());
const profiles = new ProfileStore(storage.db, sealer, storage.dialect);
const flows = new UserAgentFlows(storage.db, sealer);
const mediaTokens = await MediaTokens.load(new KeyStore(storage, sealer), MEDIA_TOKEN_TTL_S, crypto);
const keyOf = (device: string) => ({
  clientId: settings.clientId,
  deviceId: Buffer.from(device).toString('base64'),
  serviceProviderId: settings.serviceProvider,
});
const pendingLogout = {
  serviceProviderId: settings.serviceProvider,
  mvpdId: settings.mvpd,
  redirectUrl: 'http://localhost/done',
};

const app = Fastify({ logger: false });
app.get<{ Params: { device: string } }>('/authorize/:device', async (request, reply) => {
  const now = Date.now();
  const profile = await profiles.find(keyOf(request.params.device), settings.mvpd);
  if (!profile || profile.notAfter <= now) return reply.code(404).send({ found: false });
  const token = await mediaTokens.issue(
    {
      serviceProvider: settings.serviceProvider,
      resource: settings.serviceProvider,
      mvpd: settings.mvpd,
      sessionId: profile.sessionId,
    },
    now,
  );
  return { serializedToken: token.serializedToken };
});
app.get<{ Params: { device: string } }>('/logout/:device', async (request, reply) => {
  const now = Date.now();
  const pending = await beginPendingLogout(flows, pendingLogout, now);
  const profile = await profiles.takeForLogout(keyOf(request.params.device), settings.mvpd, pending, now);
  return profile && profile.notAfter > now ? { taken: true } : reply.code(404).send({ taken: false });
});
app.server.keepAliveTimeout = 30_000;
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`floor ${address}\n`);
process.once('SIGTERM', () => {
  void app.close().then(async () => {
    await crypto.close();
    await storage.close();
  });
});
