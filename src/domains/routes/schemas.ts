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
    error: Type.Object({
      code: Type.Integer(),
      name: Type.String(),
      message: Type.String(),
      nextRemovalAt: Type.Optional(
        Type.String({ format: 'date-time', description: 'DOM_REMOVAL_LIMITED: when the next removal is allowed' }),
      ),
    }),
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

export const MembersAnswer = Type.Object({
  ver: Type.Integer(),
  domain: Type.Object({
    name: Type.String(),
    members: Type.Integer({ description: 'machines (slots) in the domain' }),
    maxMembership: Type.Union([Type.Integer(), Type.Null()]),
  }),
  members: Type.Array(
    Type.Object({
      guid: Type.String(),
      label: Type.Union([Type.String(), Type.Null()], { description: 'what the device called itself at join' }),
      firstSeen: Type.String({ format: 'date-time' }),
      lastSeen: Type.String({ format: 'date-time' }),
      self: Type.Boolean({ description: 'this entry is the requesting machine' }),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'send as `cursor` for the next page' }),
});

export const RemoveAnswer = Type.Union([
  Type.Object({
    ver: Type.Integer(),
    phase: Type.Literal('preview'),
    domain: Type.Object({ name: Type.String() }),
    member: Type.String(),
    allowed: Type.Literal(true),
  }),
  Type.Object({
    ver: Type.Integer(),
    phase: Type.Literal('commit'),
    domain: Type.Object({ name: Type.String() }),
    member: Type.String(),
    removed: Type.Array(Type.String(), { description: 'every GUID removed with the member (its machine)' }),
    machineReleased: Type.Literal(true),
  }),
]);

export const IndividualizationAnswer = Type.Object({
  machineToken: Type.String({ description: 'compact JWT signed by the individualization key' }),
  guid: Type.String({ format: 'uuid' }),
});

export const ServerVersion = Type.Object({
  protocolVersions: Type.Array(Type.Integer()),
  server: Type.String(),
  extensions: Type.Array(Type.String(), { description: "Domus's operations beyond the RI's (protocol 5 only)" }),
});
