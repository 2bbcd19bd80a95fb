import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@rewards/service-kit';
import { AuthModule } from './auth/auth.module';
import type { GatewayConfig } from './config/gateway.config';
import { upstreamChecks } from './health/upstream-checks';
import { upstreamUrls } from './proxy/proxy.service';
import { ProxyModule } from './proxy/proxy.module';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AuthModule.forRoot(config),
        ProxyModule.forRoot(config),
        HealthModule.forRoot({ useFactory: () => upstreamChecks(upstreamUrls(config)) }),
      ],
    };
  }
}
