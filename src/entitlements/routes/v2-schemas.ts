/** Schema pieces the REST API V2 routes share: path parameters, device headers, security. */
import { Type } from 'typebox';

const Id = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'letters, digits, ".", "_", "-"' });

export const V2_PARAMS = {
  serviceProvider: Id,
  mvpd: Id,
  /** Both device headers, optional (routes that need them call the parsers in api/device-headers.ts). */
  optionalDeviceHeaders: Type.Object({
    'ap-device-identifier': Type.Optional(Type.String({ description: 'fingerprint <base64 device id>' })),
    'x-device-info': Type.Optional(Type.String({ description: 'base64 of the device information JSON' })),
  }),
};

/** The OpenAPI security requirement of an authenticated V2 route (scheme declared in platform/http/server.ts). */
export const v2Security = [{ passAccessToken: [] }];
