import {
  DynamicModule,
  Inject,
  Module,
  RequestMethod,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { HealthModule } from '@rewards/service-kit';
import type { NextFunction, Request, Response } from 'express';
import { AuthModule } from './auth/auth.module';
import { GatewayConfig } from './config/gateway.config';
import { upstreamChecks } from './health/upstream-checks';
import { EdgeHeadersMiddleware } from './http/edge-headers.middleware';
import { upstreamUrls } from './proxy/proxy.service';
import { ProxyModule } from './proxy/proxy.module';

@Module({})
export class AppModule implements NestModule {
  constructor(@Inject(GatewayConfig) private readonly config: GatewayConfig) {}

  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AuthModule.forRoot(config),
        ProxyModule.forRoot(config),
        HealthModule.forRoot({ useFactory: () => upstreamChecks(upstreamUrls(config)) }),
      ],
      providers: [{ provide: GatewayConfig, useValue: config }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const edge = new EdgeHeadersMiddleware(this.config.CORS_ORIGINS);
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => edge.use(req, res, next))
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
