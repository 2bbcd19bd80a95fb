import {
  DynamicModule,
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SystemClock } from '@rewards/service-kit';
import type { GatewayConfig } from '../config/gateway.config';
import { RateLimiter } from '../rate-limit/gcra';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter';
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter';
import {
  RATE_LIMIT_DEFAULTS,
  RouteRateLimit,
  type RateLimitDefaults,
} from '../rate-limit/route-rate-limit';
import { PROXY_ROUTE_TABLE, ProxyRoutes } from './proxy-routes';
import { ProxyService, upstreamClients, type UpstreamClients } from './proxy.service';
import { GATEWAY_ROUTES, type ProxyRoute } from './routes';

const UPSTREAM_CLIENTS = Symbol('UPSTREAM_CLIENTS');

const REDIS_READY_TIMEOUT_MS = 3000;

function rateLimiter(config: GatewayConfig): RateLimiter {
  const memory = new MemoryRateLimiter(new SystemClock());
  return config.REDIS_URL === undefined
    ? memory
    : new RedisRateLimiter(config.REDIS_URL, memory, config.RATE_LIMIT_KEY_PREFIX);
}

const rateLimitDefaults = (config: GatewayConfig): RateLimitDefaults => ({
  publicPolicy: { limit: config.RATE_LIMIT_PUBLIC_PER_MINUTE, perSeconds: 60 },
  userPolicy: { limit: config.RATE_LIMIT_USER_PER_MINUTE, perSeconds: 60 },
  trustedProxyHops: config.TRUST_PROXY_HOPS,
});

@Module({})
export class ProxyModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly limiter: RateLimiter,
    @Inject(UPSTREAM_CLIENTS) private readonly clients: UpstreamClients,
  ) {}

  static forRoot(
    config: GatewayConfig,
    routes: readonly ProxyRoute[] = GATEWAY_ROUTES,
  ): DynamicModule {
    return {
      module: ProxyModule,
      providers: [
        { provide: PROXY_ROUTE_TABLE, useValue: routes },
        ProxyRoutes,
        { provide: UPSTREAM_CLIENTS, useFactory: () => upstreamClients(config) },
        {
          provide: ProxyService,
          inject: [UPSTREAM_CLIENTS],
          useFactory: (clients: UpstreamClients) =>
            new ProxyService(clients, config.INTERNAL_AUTH_KEY, config.TRUST_PROXY_HOPS),
        },
        { provide: RateLimiter, useFactory: () => rateLimiter(config) },
        { provide: RATE_LIMIT_DEFAULTS, useValue: rateLimitDefaults(config) },
        RouteRateLimit,
      ],
    };
  }

  /** Boot waits a moment for Redis, so the first requests share buckets; never fails for it. */
  onApplicationBootstrap(): Promise<void> {
    return this.limiter.ready(REDIS_READY_TIMEOUT_MS);
  }

  onApplicationShutdown(): Promise<void> {
    for (const client of Object.values(this.clients)) client.close();
    return this.limiter.close();
  }
}
