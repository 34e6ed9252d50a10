/**
 * The request envelope of join and leave (docs/domain-protocol.md §4): a compact JWS signed by the
 * machine key. Checks run in the order of docs/domain-protocol.md §4.3 and the first failure is the
 * answer.
 */
import type { CryptoWorkers } from '../platform/crypto/crypto-workers.js';
import { decodeJws } from '../platform/crypto/es256.js';
import { hasControlCharacter, storableText } from '../platform/text.js';
import { type AuthClaims, AuthTokenError, type AuthTokenVerifier } from '../platform/tokens/auth-tokens.js';
import { DomainError } from './errors.js';
import type { Machine, MachineTokens } from './machine-tokens.js';

export type ProtocolVersion = 3 | 5;
/** `members` and `remove` are Domus's household operations (docs/domain-protocol.md §14, §15). */
export type Operation = 'join' | 'leave' | 'members' | 'remove';
export type LeavePhase = 'preview' | 'commit';
/** Operations in two phases: they carry `phase`, the others must not. */
const PHASED: ReadonlySet<Operation> = new Set(['leave', 'remove']);
const OPERATIONS: ReadonlySet<unknown> = new Set(['join', 'leave', 'members', 'remove']);

/** The longest label a device may give itself at join (docs/domain-protocol.md §4.2). */
export const MAX_LABEL_LENGTH = 64;
/** Members answered per page: the default and the most a request may ask for. */
export const MEMBERS_PAGE = { default: 50, max: 100 } as const;
/** A machine GUID as the server issues it (docs/domain-protocol.md §5.3): a lower-case UUID. */
export const MACHINE_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CURSOR = /^[A-Za-z0-9_-]{1,128}$/;

export interface DomainRequest {
  ver: ProtocolVersion;
  op: Operation;
  phase: LeavePhase | undefined;
  machine: Machine;
  mid: string;
  iat: number;
  /** The auth token's claims, when one was sent and verified. */
  auth: AuthClaims | undefined;
  /** Why the auth token sent is not valid; policy.ts decides whether that matters. */
  authError: string | undefined;
  dn: string | undefined;
  /** join: what the device calls itself, shown to its household. */
  label: string | undefined;
  /** remove: the GUID of the member to remove. */
  member: string | undefined;
  /** members: where the page starts (the previous page's `nextCursor`) and its size. */
  cursor: string | undefined;
  limit: number;
}

/** Answers whether (machine GUID, message id) was seen within the replay window. */
export type ReplayCheck = (guid: string, mid: string) => Promise<boolean>;

export const DOMAIN_JWS_TYPE = 'domus-domain+jws';
const MESSAGE_ID = /^[\x21-\x7e]{16,64}$/;
const MAX_NAME_LENGTH = 512;

export class RequestVerifier {
  constructor(
    private readonly machineTokens: MachineTokens,
    private readonly crypto: CryptoWorkers,
    private readonly authTokens: AuthTokenVerifier,
    private readonly seenBefore: ReplayCheck,
    private readonly toleranceSeconds: number,
  ) {}

  async verify(body: string | undefined, expected: { ver: ProtocolVersion; op: Operation }): Promise<DomainRequest> {
    // 1. a compact JWS whose payload has the fields of docs/domain-protocol.md §4.2
    const jws = typeof body === 'string' ? decodeJws(body.trim()) : null;
    if (!jws) throw new DomainError('REQ_MALFORMED', 'body is not a compact JWS');
    if (jws.header.alg !== 'ES256' || jws.header.typ !== DOMAIN_JWS_TYPE) {
      throw new DomainError('REQ_MALFORMED', `protected header must be {"alg":"ES256","typ":"${DOMAIN_JWS_TYPE}"}`);
    }
    const fields = readFields(jws.payload);

    // 2. version and operation agree with the path
    if (fields.ver !== expected.ver) {
      throw new DomainError(
        'REQ_UNSUPPORTED_VERSION',
        `this path speaks protocol ${expected.ver}, the request ${fields.ver}`,
      );
    }
    if (fields.op !== expected.op) throw new DomainError('REQ_MALFORMED', `this path takes op "${expected.op}"`);
    if (PHASED.has(expected.op) && fields.phase === undefined) {
      throw new DomainError('REQ_MALFORMED', 'phase must be "preview" or "commit"');
    }
    if (!PHASED.has(expected.op) && fields.phase !== undefined) {
      throw new DomainError('REQ_MALFORMED', `${expected.op} takes no phase`);
    }
    if (expected.op === 'remove' && fields.member === undefined) {
      throw new DomainError('REQ_MALFORMED', 'member must be the GUID of the member to remove');
    }

    // 3. machine token from a trusted issuer, unexpired, binding a valid P-256 key; 4. the request
    // signed by that key. Both signatures are checked at once on the crypto workers; failures
    // keep that order.
    const read = this.machineTokens.read(fields.mt);
    const machine = read?.machine;
    const [token, request] = read
      ? await this.crypto.verifyEs256([read.signature, { jws, keys: [read.machine.publicJwk] }])
      : ['invalid', 'invalid'];
    if (!machine || token !== 'valid' || request === 'bad-key') {
      throw new DomainError('REQ_MACHINE_TOKEN_INVALID_EXPIRED', 'machine token is invalid, expired or untrusted');
    }
    if (request !== 'valid') {
      throw new DomainError('REQ_SIGNATURE_INVALID', 'request signature does not verify with the machine key');
    }

    // 5. fresh
    if (Math.abs(Date.now() / 1000 - fields.iat) > this.toleranceSeconds) {
      throw new DomainError(
        'REQ_TIMESTAMP_OUT_OF_RANGE',
        `iat is more than ${this.toleranceSeconds} s away from server time`,
      );
    }

    // 6. not replayed; 7. the auth token. Join and leave record the message id atomically before
    // any check of theirs, and only they know whether the domain needs a token (as in the RI, a
    // token sent where none is required is not consulted at all): here a present token is
    // verified and its verdict kept for them. For REQ_REPLAYED to come before a bad token's error,
    // the id is looked up here, only when the token is bad.
    let auth: AuthClaims | undefined;
    let authError: string | undefined;
    if (fields.at !== undefined) {
      try {
        auth = await this.authTokens.verify(fields.at);
      } catch (error) {
        if (!(error instanceof AuthTokenError)) throw error;
        authError = error.message;
      }
      if (authError !== undefined && (await this.seenBefore(machine.guid, fields.mid))) {
        throw new DomainError('REQ_REPLAYED', 'message id was seen before');
      }
    }

    return {
      ver: fields.ver,
      op: fields.op,
      phase: fields.phase,
      machine,
      mid: fields.mid,
      iat: fields.iat,
      auth,
      authError,
      dn: fields.dn,
      label: fields.op === 'join' ? fields.label : undefined,
      member: fields.op === 'remove' ? fields.member : undefined,
      cursor: fields.op === 'members' ? fields.cursor : undefined,
      limit: fields.limit ?? MEMBERS_PAGE.default,
    };
  }
}

function readFields(payload: Record<string, unknown>) {
  const { ver, op, mt, mid, iat, at, dn, phase, label, member, cursor, limit } = payload;
  const malformed = (what: string) => new DomainError('REQ_MALFORMED', what);
  if (!Number.isInteger(ver)) throw malformed('ver must be an integer');
  if (ver !== 3 && ver !== 5) throw new DomainError('REQ_UNSUPPORTED_VERSION', 'ver must be 3 or 5');
  if (!OPERATIONS.has(op)) throw malformed('op must be "join", "leave", "members" or "remove"');
  if (typeof mt !== 'string' || mt.length === 0 || mt.length > 8192) throw malformed('mt must be the machine token');
  if (typeof mid !== 'string' || !MESSAGE_ID.test(mid)) throw malformed('mid must be 16 to 64 printable characters');
  if (!Number.isInteger(iat) || (iat as number) < 0) throw malformed('iat must be seconds since the epoch');
  if (at !== undefined && (typeof at !== 'string' || at.length === 0 || at.length > 8192)) {
    throw malformed('at must be a token string');
  }
  if (dn !== undefined && (typeof dn !== 'string' || dn.length === 0 || dn.length > MAX_NAME_LENGTH)) {
    throw malformed('dn must be a domain name');
  }
  if (phase !== undefined && phase !== 'preview' && phase !== 'commit')
    throw malformed('phase must be "preview" or "commit"');
  // Each operation's own fields are checked where they count and ignored elsewhere (§4.2).
  if (op === 'join' && label !== undefined && !isLabel(label)) {
    throw malformed(`label must be 1 to ${MAX_LABEL_LENGTH} characters of text without control characters`);
  }
  if (op === 'remove' && member !== undefined && (typeof member !== 'string' || !MACHINE_GUID.test(member))) {
    throw malformed('member must be a machine GUID (a lower-case UUID)');
  }
  if (op === 'members' && cursor !== undefined && (typeof cursor !== 'string' || !CURSOR.test(cursor))) {
    throw malformed('cursor must be the nextCursor of a members answer');
  }
  if (
    limit !== undefined &&
    (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MEMBERS_PAGE.max)
  ) {
    throw malformed(`limit must be an integer from 1 to ${MEMBERS_PAGE.max}`);
  }
  return {
    ver: ver as ProtocolVersion,
    op: op as Operation,
    mt,
    mid,
    iat: iat as number,
    at: at as string | undefined,
    dn: dn as string | undefined,
    phase: phase as LeavePhase | undefined,
    label: op === 'join' ? (label as string | undefined) : undefined,
    member: op === 'remove' ? (member as string | undefined) : undefined,
    cursor: op === 'members' ? (cursor as string | undefined) : undefined,
    limit: op === 'members' ? (limit as number | undefined) : undefined,
  };
}

/** A label as a device may give it: short text a database stores as given, no control characters. */
function isLabel(label: unknown): label is string {
  return (
    typeof label === 'string' &&
    label.length >= 1 &&
    label.length <= MAX_LABEL_LENGTH &&
    storableText(label) &&
    !hasControlCharacter(label)
  );
}
