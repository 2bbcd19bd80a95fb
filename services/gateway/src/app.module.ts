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
import { buildOpenApiDocument } from './openapi/openapi-document';
import { OPENAPI_DOCUMENT, OpenApiController } from './openapi/openapi.controller';
import { upstreamUrls } from './proxy/proxy.service';
import { GATEWAY_ROUTES } from './proxy/routes';
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
      controllers: [OpenApiController],
      providers: [
        { provide: GatewayConfig, useValue: config },
        {
          provide: OPENAPI_DOCUMENT,
          useFactory: () =>
            buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: config.AUTH_DEV_TOKENS }),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const edge = new EdgeHeadersMiddleware(this.config.CORS_ORIGINS);
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => edge.use(req, res, next))
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
