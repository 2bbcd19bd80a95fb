import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { PlatformError } from './errors';
import {
  GATEWAY_ISSUER,
  INTERNAL_TOKEN_HEADER,
  InternalTokenError,
  signInternalToken,
  verifyInternalToken,
  type InternalTokenClaims,
} from './internal-token';

export const ROLES = ['student', 'instructor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as vouched for by the gateway after verifying the bearer token. */
export interface CallerIdentity {
  userId: string;
  roles: Role[];
}

// User ids are the identity provider's UUID subjects; anything else is no identity at all.
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Verified tokens remembered within one second at most (one entry per caller and second). */
const MAX_VERIFIED_PER_SECOND = 10_000;

// The verified internal token of each in-flight request, kept off the request's own fields.
// Keyed by the framework's request object (Express's or Fastify's), the same one for the guard,
// the handler's parameters and the error filter.
const verifiedCalls = new WeakMap<object, InternalTokenClaims>();

type HttpRequest = { headers: IncomingHttpHeaders };

/** The end user in a verified internal token, when the gateway signed it. */
export function callerFromClaims(
  claims: InternalTokenClaims | undefined,
): CallerIdentity | undefined {
  if (claims?.iss !== GATEWAY_ISSUER || !claims.usr || !USER_ID.test(claims.usr.id)) {
    return undefined;
  }
  return {
    userId: claims.usr.id,
    roles: claims.usr.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
  };
}

export interface InternalIdentityOptions {
  /** This service's name: the audience its tokens must name. */
  service: string;
  key: string;
  /** Wall-clock seconds; the token's lifetime is transport time, not the domain clock tests move. */
  nowSeconds?: () => number;
}

/**
 * Global guard of every service behind the gateway: a request carrying an internal token is
 * refused with 401 unless the token verifies; a verified one is what `@Caller()` and
 * `@InternalCallers()` read. Nothing else (x-user-* headers least of all) gives an identity.
 */
@Injectable()
export class InternalIdentityGuard implements CanActivate {
  // Tokens verified within the current second. The gateway sends one token per caller and
  // upstream a second (the same one to every public request), and a token's verdict can only
  // change with the second, so within it a token seen before needs no HMAC or parse again.
  private second = -1;
  private readonly verified = new Map<string, InternalTokenClaims>();

  constructor(private readonly options: InternalIdentityOptions) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const token = req.headers[INTERNAL_TOKEN_HEADER];
    if (token === undefined) return true;
    if (typeof token !== 'string') {
      throw new PlatformError('UNAUTHENTICATED', 'send one internal token');
    }
    const nowSeconds = (this.options.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))();
    if (nowSeconds !== this.second) {
      this.verified.clear();
      this.second = nowSeconds;
    }
    let claims = this.verified.get(token);
    if (claims === undefined) {
      try {
        claims = Object.freeze(
          verifyInternalToken(token, {
            key: this.options.key,
            audience: this.options.service,
            nowSeconds,
          }),
        );
      } catch (err) {
        if (err instanceof InternalTokenError)
          throw new PlatformError('UNAUTHENTICATED', err.message);
        throw err;
      }
      // Only verified tokens are kept, so no caller without the key can grow this.
      if (this.verified.size < MAX_VERIFIED_PER_SECOND) this.verified.set(token, claims);
    }
    verifiedCalls.set(req, claims);
    return true;
  }
}

/**
 * The authenticated caller; refuses with 401 when the gateway vouched for none and with 403
 * when the caller has none of the given roles.
 */
export const Caller = createParamDecorator((allowed: Role[] | undefined, ctx: ExecutionContext) => {
  const caller = callerFromClaims(verifiedCalls.get(ctx.switchToHttp().getRequest<HttpRequest>()));
  if (!caller) throw new PlatformError('UNAUTHENTICATED', 'sign in first');
  if (allowed && !caller.roles.some((r) => allowed.includes(r))) {
    throw new PlatformError('FORBIDDEN', `requires role ${allowed.join(' or ')}`);
  }
  return caller;
});

class InternalCallersGuard implements CanActivate {
  constructor(private readonly services: readonly string[]) {}

  canActivate(context: ExecutionContext): boolean {
    const claims = verifiedCalls.get(context.switchToHttp().getRequest<HttpRequest>());
    if (!claims) throw new PlatformError('UNAUTHENTICATED', 'service identity required');
    if (claims.usr || !this.services.includes(claims.iss)) {
      throw new PlatformError('FORBIDDEN', `only ${this.services.join(', ')} may call this`);
    }
    return true;
  }
}

/** A service-to-service route: only the named services, calling as themselves, may use it. */
export const InternalCallers = (...services: string[]) =>
  UseGuards(new InternalCallersGuard(services));

/** Headers of a call this service makes to another, signed as itself. */
export function serviceCallHeaders(options: {
  from: string;
  to: string;
  key: string;
}): Record<string, string> {
  return {
    [INTERNAL_TOKEN_HEADER]: signInternalToken({ iss: options.from, aud: options.to }, options.key),
  };
}
