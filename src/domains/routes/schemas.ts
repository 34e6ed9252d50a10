/**
 * Wire schemas of the domain protocol (docs/domain-protocol.md §5, §8–§11), for validation and
 * OpenAPI.
 */
import { Type } from 'typebox';

export const JoseBody = Type.String({
  description: 'compact JWS (`Content-Type: application/jose`), signed with the machine key',
});

export const ProtocolError = Type.Object(
  {
    ver: Type.Integer(),
    error: Type.Object({ code: Type.Integer(), name: Type.String(), message: Type.String() }),
  },
  { $id: 'DomainProtocolError' },
);

const Credential = Type.Object({
  keyVersion: Type.Integer({ minimum: 1 }),
  certificate: Type.String({ description: 'X.509 domain certificate, DER, base64' }),
  privateKey: Type.String({ description: 'domain private key (PKCS#8) as a compact JWE to the machine key' }),
  notAfter: Type.String({ format: 'date-time' }),
});

export const JoinAnswer = Type.Object({
  ver: Type.Integer(),
  domain: Type.Object({
    name: Type.String(),
    mode: Type.Union([Type.Literal('anonymous'), Type.Literal('identity')]),
    serverUrl: Type.String(),
  }),
  member: Type.Object({
    guid: Type.String(),
    members: Type.Integer(),
    maxMembership: Type.Union([Type.Integer(), Type.Null()]),
  }),
  credentials: Type.Array(Credential),
});

export const LeaveAnswer = Type.Union([
  Type.Object({
    ver: Type.Integer(),
    phase: Type.Literal('preview'),
    domain: Type.Object({ name: Type.String() }),
    allowed: Type.Literal(true),
  }),
  Type.Object({
    ver: Type.Integer(),
    phase: Type.Literal('commit'),
    domain: Type.Object({ name: Type.String() }),
    left: Type.Literal(true),
    machineReleased: Type.Boolean(),
  }),
]);

export const IndividualizationAnswer = Type.Object({
  machineToken: Type.String({ description: 'compact JWT signed by the individualization key' }),
  guid: Type.String({ format: 'uuid' }),
});

export const ServerVersion = Type.Object({
  protocolVersions: Type.Array(Type.Integer()),
  server: Type.String(),
});
