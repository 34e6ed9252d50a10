/**
 * Schemas of the session routes (docs/entitlement-api.md, "5. Sign the viewer in"): the form body,
 * the code, and Adobe's `SessionResponse`, `SessionStatusResponse` and `Device` shapes. Session
 * times are strings of epoch milliseconds (docs/entitlement-api.md, "Where Adobe's sources
 * disagree").
 */
import { Type } from 'typebox';

const optionalField = (schema: Parameters<typeof Type.String>[0]) => Type.Optional(Type.String(schema));

/**
 * The form body of create and resume; every field may be left out (or empty). Other fields are
 * ignored: Adobe's clients send what its samples show, and a missing parameter is named in the answer.
 */
export const SessionForm = Type.Object({
  mvpd: optionalField({ pattern: '^([A-Za-z0-9._-]{1,64})?$', description: 'the MVPD id' }),
  domainName: optionalField({
    maxLength: 253,
    pattern:
      '^\\s*([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?)?\\s*$',
    description: 'the host name of the application performing the MVPD login',
  }),
  redirectUrl: optionalField({
    maxLength: 2048,
    description: "where the user agent goes after the MVPD login: absolute, on the application's redirect domains",
  }),
});

/** A session code: 7 letters and digits (matched case-insensitively). */
export const Code = Type.String({ pattern: '^[A-Za-z0-9]{7}$', description: 'the authentication code' });

const Millis = Type.String({ description: 'epoch milliseconds, as a string' });

export const SessionResponse = Type.Object({
  actionName: Type.String({ description: 'authenticate | resume | retry | authorize' }),
  actionType: Type.String({ description: 'interactive | direct' }),
  reasonType: Type.String({ description: 'none | authenticated' }),
  missingParameters: Type.Optional(Type.Array(Type.String())),
  url: Type.Optional(Type.String({ description: 'relative URL of the next step' })),
  code: Type.Optional(Type.String()),
  sessionId: Type.String(),
  mvpd: Type.Optional(Type.String()),
  serviceProvider: Type.String(),
  notBefore: Type.Optional(Millis),
  notAfter: Type.Optional(Millis),
});

const Version = Type.Object({
  major: Type.Optional(Type.Integer()),
  minor: Type.Optional(Type.Integer()),
  patch: Type.Optional(Type.Integer()),
  profile: Type.Optional(Type.String()),
});
const text = Type.Optional(Type.String());

export const Device = Type.Object({
  type: Type.String(),
  model: text,
  version: Type.Optional(Version),
  hardware: Type.Optional(
    Type.Object({ name: text, vendor: text, manufacturer: text, version: Type.Optional(Version) }),
  ),
  operatingSystem: Type.Optional(
    Type.Object({ name: text, family: text, vendor: text, version: Type.Optional(Version) }),
  ),
  browser: Type.Optional(Type.Object({ name: text, vendor: text, version: Type.Optional(Version), userAgent: text })),
  display: Type.Optional(
    Type.Object({
      width: Type.Optional(Type.Integer()),
      height: Type.Optional(Type.Integer()),
      ppi: Type.Optional(Type.Integer()),
      diagonalSize: text,
    }),
  ),
  applicationId: text,
  connection: Type.Optional(
    Type.Object({
      type: text,
      secure: Type.Optional(Type.Boolean()),
      port: text,
      ipAddress: Type.Optional(Type.Object({ hostAddress: Type.String() })),
    }),
  ),
});

export const SessionStatusResponse = Type.Object({
  existingParameters: Type.Record(Type.String(), Type.String()),
  missingParameters: Type.Array(Type.String()),
  device: Device,
  notBefore: Millis,
  notAfter: Millis,
});
