import { createHmac, timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from '@rewards/service-kit';

// jose 6 is ESM-only and the services are CommonJS, so HS256 is done here with node:crypto.

/** The claims of a bearer token the gateway accepts. Times are seconds since the epoch. */
export interface AccessTokenClaims {
  /** The user id (uuid). */
  sub: string;
  roles: Role[];
  iss: string;
  iat: number;
  exp: number;
  nbf?: number;
}

/** Why a token was refused; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const signature = (signingInput: string, secret: string): string =>
  createHmac('sha256', secret).update(signingInput).digest('base64url');

function decode(segment: string): Record<string, unknown> {
  if (!SEGMENT.test(segment)) throw new InvalidTokenError('token is malformed');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('token is malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTokenError('token is malformed');
  }
  return value as Record<string, unknown>;
}

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

const isRoleList = (value: unknown): value is Role[] =>
  Array.isArray(value) && value.every((r) => (ROLES as readonly unknown[]).includes(r));

export function signAccessToken(claims: AccessTokenClaims, secret: string): string {
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${signingInput}.${signature(signingInput, secret)}`;
}

/**
 * Verifies an HS256 token strictly: the header must say HS256 (never 'none' or another
 * algorithm), the signature is checked before the claims are read, and exp, iat, iss, sub and
 * roles are required.
 */
export function verifyAccessToken(
  token: string,
  options: { secret: string; issuer: string; nowSeconds: number },
): AccessTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new InvalidTokenError('token is malformed');
  const [headerPart, payloadPart, signaturePart] = parts;

  const header = decode(headerPart);
  if (header.alg !== 'HS256') throw new InvalidTokenError('token algorithm must be HS256');
  // No header extensions are understood, so a token that marks one critical cannot be accepted.
  if (header.crit !== undefined)
    throw new InvalidTokenError('token has unsupported critical headers');

  // Compares encoded strings, so only the canonical encoding of the right MAC is accepted.
  const expected = Buffer.from(signature(`${headerPart}.${payloadPart}`, options.secret));
  const actual = Buffer.from(signaturePart);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new InvalidTokenError('token signature is invalid');
  }

  const claims = decode(payloadPart);
  const { sub, roles, iss, iat, exp, nbf } = claims;
  if (!isTime(exp)) throw new InvalidTokenError('token has no expiry (exp)');
  if (options.nowSeconds >= exp) throw new InvalidTokenError('token has expired');
  if (nbf !== undefined && !isTime(nbf)) throw new InvalidTokenError('token nbf is not a time');
  if (nbf !== undefined && options.nowSeconds < nbf) {
    throw new InvalidTokenError('token is not valid yet');
  }
  if (!isTime(iat)) throw new InvalidTokenError('token has no issue time (iat)');
  if (iss !== options.issuer) throw new InvalidTokenError('token issuer is not accepted');
  if (typeof sub !== 'string' || !UUID.test(sub)) {
    throw new InvalidTokenError('token subject (sub) must be a user id (uuid)');
  }
  if (!isRoleList(roles)) {
    throw new InvalidTokenError(`token roles must be a list of ${ROLES.join(', ')}`);
  }
  return { sub, roles: [...new Set(roles)], iss, iat, exp, ...(nbf === undefined ? {} : { nbf }) };
}
