import {
  createHmac,
  timingSafeEqual,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import { ROLES, type Role } from '@rewards/service-kit';

// jose 6 is ESM-only and the services are CommonJS, so JWS is done here with node:crypto.

/** The claims of a bearer token the gateway accepts. Times are seconds since the epoch. */
export interface AccessTokenClaims {
  /** The user id (uuid). */
  sub: string;
  roles: Role[];
  iss: string;
  aud: string | string[];
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

export type AsymmetricAlgorithm = 'RS256' | 'ES256';

/** Where verification keys come from: an HS256 secret, a JWKS, or both. */
export interface TokenKeys {
  /** HS256 key; without it HS256 tokens are refused. */
  secret?: string;
  /** The public key a token's `kid` names; without it RS256/ES256 tokens are refused. */
  publicKey?: (kid: string, alg: AsymmetricAlgorithm) => Promise<KeyObject>;
  /** Changes whenever the public keys change (a JWKS rotation), so verified tokens are forgotten. */
  keySetVersion?: () => number;
}

/** What a token must satisfy besides its signature. */
export interface TokenPolicy {
  issuer: string;
  audience: string;
  /** Longest accepted exp - iat: a stolen long-lived token is refused outright. */
  maxLifetimeSeconds: number;
  /** Tolerated clock difference with the token's issuer, applied to exp, nbf and iat. */
  clockSkewSeconds: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const hmac = (signingInput: string, secret: string): string =>
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
  return `${signingInput}.${hmac(signingInput, secret)}`;
}

async function checkSignature(
  header: Record<string, unknown>,
  signingInput: string,
  signature: string,
  keys: TokenKeys,
): Promise<void> {
  const { alg, kid } = header;
  if (alg === 'HS256' && keys.secret !== undefined) {
    // Compares encoded strings, so only the canonical encoding of the right MAC is accepted.
    const expected = Buffer.from(hmac(signingInput, keys.secret));
    const actual = Buffer.from(signature);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new InvalidTokenError('token signature is invalid');
    }
    return;
  }
  if ((alg === 'RS256' || alg === 'ES256') && keys.publicKey !== undefined) {
    if (typeof kid !== 'string' || kid === '')
      throw new InvalidTokenError('token has no key id (kid)');
    const key = await keys.publicKey(kid, alg);
    const valid = verifySignature(
      'sha256',
      Buffer.from(signingInput),
      // JWS carries ECDSA signatures as r || s, not DER.
      alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) throw new InvalidTokenError('token signature is invalid');
    return;
  }
  const accepted = [keys.secret !== undefined ? 'HS256' : '', keys.publicKey ? 'RS256, ES256' : '']
    .filter(Boolean)
    .join(', ');
  throw new InvalidTokenError(`token algorithm must be ${accepted}`);
}

function checkClaims(
  claims: Record<string, unknown>,
  policy: TokenPolicy,
  now: number,
): AccessTokenClaims {
  const { sub, roles, iss, aud, iat, exp, nbf } = claims;
  const skew = policy.clockSkewSeconds;
  if (!isTime(exp)) throw new InvalidTokenError('token has no expiry (exp)');
  if (now >= exp + skew) throw new InvalidTokenError('token has expired');
  if (!isTime(iat)) throw new InvalidTokenError('token has no issue time (iat)');
  if (iat > now + skew) throw new InvalidTokenError('token is issued in the future');
  if (exp - iat > policy.maxLifetimeSeconds) {
    throw new InvalidTokenError(`token lives longer than ${policy.maxLifetimeSeconds} s`);
  }
  if (nbf !== undefined && !isTime(nbf)) throw new InvalidTokenError('token nbf is not a time');
  if (nbf !== undefined && now + skew < nbf) throw new InvalidTokenError('token is not valid yet');
  if (iss !== policy.issuer) throw new InvalidTokenError('token issuer is not accepted');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(policy.audience)) {
    throw new InvalidTokenError('token audience is not accepted');
  }
  if (typeof sub !== 'string' || !UUID.test(sub)) {
    throw new InvalidTokenError('token subject (sub) must be a user id (uuid)');
  }
  if (!isRoleList(roles)) {
    throw new InvalidTokenError(`token roles must be a list of ${ROLES.join(', ')}`);
  }
  return {
    sub,
    roles: [...new Set(roles)],
    iss,
    aud: aud as string | string[],
    iat,
    exp,
    ...(nbf === undefined ? {} : { nbf }),
  };
}

/**
 * Verifies a token strictly: the header's algorithm must be one the configuration has keys for
 * (never 'none'), the signature is checked before the claims are read, and exp, iat, iss, aud,
 * sub and roles are required, within the policy's lifetime and clock skew.
 */
export async function verifyAccessToken(
  token: string,
  options: { keys: TokenKeys; policy: TokenPolicy; nowSeconds: number },
): Promise<AccessTokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new InvalidTokenError('token is malformed');
  const [headerPart, payloadPart, signaturePart] = parts;

  const header = decode(headerPart);
  // No header extensions are understood, so a token that marks one critical cannot be accepted.
  if (header.crit !== undefined) {
    throw new InvalidTokenError('token has unsupported critical headers');
  }
  if (!SEGMENT.test(signaturePart)) throw new InvalidTokenError('token signature is invalid');
  await checkSignature(header, `${headerPart}.${payloadPart}`, signaturePart, options.keys);
  return checkClaims(decode(payloadPart), options.policy, options.nowSeconds);
}
