import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PlatformError, rawResponse } from '@rewards/service-kit';
import type { IncomingMessage } from 'node:http';
import { verifiedCaller } from '../auth/access.guard';
import type { ProxyRoute } from '../proxy/routes';
import { clientIp } from './client-ip';
import { RateLimiter, type RateLimitPolicy } from './gcra';

const LIMITED_ROUTE = Symbol('LIMITED_ROUTE');

/** Marks a handler with the table route whose limit applies to it. */
export const LimitedRoute = (route: ProxyRoute) => SetMetadata(LIMITED_ROUTE, route);

export interface RateLimitDefaults {
  /** Per client IP, on public routes. */
  publicPolicy: RateLimitPolicy;
  /** Per user, on routes that need a signed-in caller. */
  userPolicy: RateLimitPolicy;
  trustedProxyHops: number;
}

export const RATE_LIMIT_DEFAULTS = Symbol('RATE_LIMIT_DEFAULTS');

/**
 * Runs after AccessGuard: public routes are limited per client IP, others per verified user,
 * each route in its own bucket with the table's limit or the default. 429 RATE_LIMITED with
 * Retry-After past it; RateLimit-Limit and RateLimit-Remaining on every answer.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(RATE_LIMIT_DEFAULTS) private readonly defaults: RateLimitDefaults,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.reflector.get<ProxyRoute | undefined>(LIMITED_ROUTE, context.getHandler());
    if (route === undefined) return true;
    const req = context.switchToHttp().getRequest<Pick<IncomingMessage, 'socket' | 'headers'>>();
    const caller = verifiedCaller(req);
    const policy =
      route.rateLimit ?? (caller ? this.defaults.userPolicy : this.defaults.publicPolicy);
    const who = caller
      ? `user:${caller.userId}`
      : `ip:${clientIp(req, this.defaults.trustedProxyHops)}`;
    const decision = await this.limiter.take(`${route.method} ${route.path}|${who}`, policy);
    // On Node's response: the proxy writes its answer there, on Express and Fastify alike.
    const res = rawResponse(context.switchToHttp().getResponse<object>());
    res.setHeader('RateLimit-Limit', String(policy.limit));
    res.setHeader('RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      throw new PlatformError(
        'RATE_LIMITED',
        `too many requests: at most ${policy.limit} per ${policy.perSeconds} s on this route`,
        undefined,
        Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      );
    }
    return true;
  }
}
