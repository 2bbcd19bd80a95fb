import { DynamicModule, Module } from '@nestjs/common';
import type { GatewayConfig } from '../config/gateway.config';
import { createProxyController } from './proxy.controller';
import { ProxyService, upstreamUrls } from './proxy.service';
import { GATEWAY_ROUTES, type ProxyRoute } from './routes';

@Module({})
export class ProxyModule {
  static forRoot(
    config: GatewayConfig,
    routes: readonly ProxyRoute[] = GATEWAY_ROUTES,
  ): DynamicModule {
    return {
      module: ProxyModule,
      controllers: [createProxyController(routes)],
      providers: [
        {
          provide: ProxyService,
          useFactory: () =>
            new ProxyService(
              upstreamUrls(config),
              config.UPSTREAM_TIMEOUT_MS,
              config.INTERNAL_AUTH_KEY,
              config.TRUST_FORWARDED_FOR,
            ),
        },
      ],
    };
  }
}
