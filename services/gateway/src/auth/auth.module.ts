import { DynamicModule, Module } from '@nestjs/common';
import { Clock, SystemClock } from '@rewards/service-kit';
import type { GatewayConfig } from '../config/gateway.config';
import { AccessGuard } from './access.guard';
import { DevTokenController } from './dev-token.controller';
import { TokenService } from './token.service';

@Module({})
export class AuthModule {
  /** Global so that any controller can use AccessGuard. */
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      // Without dev tokens the route does not exist at all, so it answers 404 like any other.
      controllers: config.AUTH_DEV_TOKENS ? [DevTokenController] : [],
      providers: [
        { provide: Clock, useClass: SystemClock },
        {
          provide: TokenService,
          inject: [Clock],
          useFactory: (clock: Clock) =>
            new TokenService({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER }, clock),
        },
        AccessGuard,
      ],
      exports: [TokenService, AccessGuard],
    };
  }
}
