import { Inject, Injectable } from '@nestjs/common';
import { PlatformError, type CallerIdentity } from '@rewards/service-kit';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyRoute } from '../proxy/routes';
import { clientIp } from './client-ip';
import { RateLimiter, type RateLimitPolicy } from './gcra';

export interface RateLimitDefaults {
  /** Per client IP, on public routes. */
  publicPolicy: RateLimitPolicy;
  /** Per user, on routes that need a signed-in caller. */
  userPolicy: RateLimitPolicy;
  trustedProxyHops: number;
}

export const RATE_LIMIT_DEFAULTS = Symbol('RATE_LIMIT_DEFAULTS');

/**
 * Runs after the access check: public routes are limited per client IP, others per verified
 * user, each route in its own bucket with the table's limit or the default. 429 RATE_LIMITED
 * with Retry-After past it; RateLimit-Limit and RateLimit-Remaining on every answer.
 */
@Injectable()
export class RouteRateLimit {
  constructor(
    private readonly limiter: RateLimiter,
    @Inject(RATE_LIMIT_DEFAULTS) private readonly defaults: RateLimitDefaults,
  ) {}

  async take(
    route: ProxyRoute,
    caller: CallerIdentity | undefined,
    req: Pick<IncomingMessage, 'socket' | 'headers'>,
    res: ServerResponse,
  ): Promise<void> {
    const policy =
      route.rateLimit ?? (caller ? this.defaults.userPolicy : this.defaults.publicPolicy);
    const who = caller
      ? `user:${caller.userId}`
      : `ip:${clientIp(req, this.defaults.trustedProxyHops)}`;
    const decision = await this.limiter.take(`${route.method} ${route.path}|${who}`, policy);
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
  }
}
