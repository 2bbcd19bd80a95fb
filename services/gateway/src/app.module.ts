import { DynamicModule, Module } from '@nestjs/common';
import {
  HealthModule,
  HTTP_MIDDLEWARE,
  ServesHttpOn,
  type RawMiddleware,
} from '@rewards/service-kit';
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
export class AppModule {
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
          // CORS and security headers on every answer, unknown routes and refusals included.
          provide: HTTP_MIDDLEWARE,
          useFactory: (): RawMiddleware[] => {
            const edge = new EdgeHeadersMiddleware(config.CORS_ORIGINS);
            return [(req, res, next) => edge.use(req, res, next)];
          },
        },
        {
          provide: OPENAPI_DOCUMENT,
          useFactory: () =>
            buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: config.AUTH_DEV_TOKENS }),
        },
      ],
    };
  }
}
