/**
 * The profile key of an authenticated V2 request (docs/entitlement-api.md, "5. Sign the viewer
 * in"): its client registration, its device (`AP-Device-Identifier`, required together with
 * `X-Device-Info`) and its service provider. Throws the device headers' enhanced errors.
 */
import type { FastifyRequest } from 'fastify';
import type { ProfileKey } from '../profiles/profile-store.js';
import { parseDeviceIdentifier, parseDeviceInfo } from './device-headers.js';
import { passContext } from './request-context.js';

export function requestProfileKey(request: FastifyRequest): ProfileKey {
  const identifier = parseDeviceIdentifier(request.headers['ap-device-identifier']);
  parseDeviceInfo(request.headers['x-device-info']);
  const { client, serviceProvider } = passContext(request);
  return {
    clientId: client.registration.clientId,
    deviceId: identifier.identifier,
    serviceProviderId: serviceProvider.id,
  };
}
