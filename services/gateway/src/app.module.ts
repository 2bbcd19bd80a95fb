import {
  DynamicModule,
  Inject,
  Module,
  RequestMethod,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { HealthModule, ServesHttpOn } from '@rewards/service-kit';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthModule } from './auth/auth.module';
import { GatewayConfig } from './config/gateway.config';
import { upstreamChecks } from './health/upstream-checks';
import { EdgeHeadersMiddleware } from './http/edge-headers.middleware';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { OPENAPI_DOCUMENT, OpenApiController } from './openapi/openapi.controller';
import { upstreamUrls } from './proxy/proxy.service';
import { GATEWAY_ROUTES } from './proxy/routes';
import { ProxyModule } from './proxy/proxy.module';

@ServesHttpOn('fastify')
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
      .apply((req: IncomingMessage, res: ServerResponse, next: () => void) =>
        edge.use(req, res, next),
      )
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
