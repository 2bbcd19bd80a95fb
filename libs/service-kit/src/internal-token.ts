import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The proof a caller sends a service behind the gateway: an HS256 JWT signed with the key only
 * the gateway and the services hold (INTERNAL_AUTH_KEY), addressed to one service (`aud`), valid
 * for a minute. The gateway signs one per forwarded request, naming the user it verified; a
 * service calling another signs one naming itself. Services take identity from nothing else.
 */
export interface InternalTokenClaims {
  /** Who signed: 'gateway', or the calling service's name. */
  iss: string;
  /** The service the token is for; any other refuses it. */
  aud: string;
  iat: number;
  exp: number;
  /** The end user the gateway verified; absent on service-to-service calls. */
  usr?: { id: string; roles: string[] };
}

export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
export const GATEWAY_ISSUER = 'gateway';
/** How long a signed call stays valid: long enough for a slow hop, short enough to be useless. */
export const INTERNAL_TOKEN_TTL_SECONDS = 60;
/** Tolerated clock difference between two pods. */
const CLOCK_SKEW_SECONDS = 30;

export class InternalTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalTokenError';
  }
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const SEGMENT = /^[A-Za-z0-9_-]+$/;

const mac = (input: string, key: string) =>
  createHmac('sha256', key).update(input).digest('base64url');

export function signInternalToken(
  claims: Omit<InternalTokenClaims, 'iat' | 'exp'>,
  key: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const full: InternalTokenClaims = {
    ...claims,
    iat: nowSeconds,
    exp: nowSeconds + INTERNAL_TOKEN_TTL_SECONDS,
  };
  const input = `${HEADER}.${Buffer.from(JSON.stringify(full)).toString('base64url')}`;
  return `${input}.${mac(input, key)}`;
}

/**
 * Signs internal tokens with one key, reusing a token already signed within the same second for
 * the same claims. A token is a pure function of its claims, the key and the second, so the
 * reused one is byte for byte what signing again would give; the gateway's public routes then
 * share one token per upstream a second instead of an HMAC per request.
 */
export class InternalTokenSigner {
  private second = -1;
  private readonly signed = new Map<string, string>();

  constructor(
    private readonly key: string,
    private readonly nowSeconds = () => Math.floor(Date.now() / 1000),
  ) {}

  sign(claims: Omit<InternalTokenClaims, 'iat' | 'exp'>): string {
    const now = this.nowSeconds();
    if (now !== this.second) {
      // One second's tokens at most: as many entries as callers seen in that second.
      this.signed.clear();
      this.second = now;
    }
    const cacheKey = `${claims.iss}\n${claims.aud}\n${claims.usr ? `${claims.usr.id}\n${claims.usr.roles.join(',')}` : ''}`;
    let token = this.signed.get(cacheKey);
    if (token === undefined) {
      token = signInternalToken(claims, this.key, now);
      this.signed.set(cacheKey, token);
    }
    return token;
  }
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parseUser(usr: unknown): InternalTokenClaims['usr'] {
  if (usr === undefined) return undefined;
  const { id, roles } = (usr ?? {}) as { id?: unknown; roles?: unknown };
  if (
    typeof id !== 'string' ||
    !Array.isArray(roles) ||
    !roles.every((r): r is string => typeof r === 'string')
  ) {
    throw new InternalTokenError('internal token user is malformed');
  }
  return { id, roles };
}

/**
 * Checks the signature (only the exact header this module writes is accepted, so no algorithm
 * choice is left to the sender), the audience and the time window.
 */
export function verifyInternalToken(
  token: string,
  options: { key: string; audience: string; nowSeconds: number },
): InternalTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p)) || parts[0] !== HEADER) {
    throw new InternalTokenError('internal token is malformed');
  }
  const expected = Buffer.from(mac(`${parts[0]}.${parts[1]}`, options.key));
  const actual = Buffer.from(parts[2]);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new InternalTokenError('internal token signature is invalid');
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    throw new InternalTokenError('internal token is malformed');
  }
  const { iss, aud, iat, exp } = claims;
  if (typeof iss !== 'string' || iss === '')
    throw new InternalTokenError('internal token has no issuer');
  if (aud !== options.audience) {
    throw new InternalTokenError(`internal token is not for ${options.audience}`);
  }
  if (!isTime(iat) || !isTime(exp)) throw new InternalTokenError('internal token has no lifetime');
  if (exp - iat > INTERNAL_TOKEN_TTL_SECONDS) {
    throw new InternalTokenError('internal token lives too long');
  }
  if (iat > options.nowSeconds + CLOCK_SKEW_SECONDS) {
    throw new InternalTokenError('internal token is issued in the future');
  }
  if (options.nowSeconds >= exp + CLOCK_SKEW_SECONDS) {
    throw new InternalTokenError('internal token has expired');
  }
  const usr = parseUser(claims.usr);
  return { iss, aud, iat, exp, ...(usr ? { usr } : {}) };
}
