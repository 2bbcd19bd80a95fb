import { DynamicModule, Module } from '@nestjs/common';
import { Clock, SystemClock } from '@rewards/service-kit';
import type { GatewayConfig } from '../config/gateway.config';
import type { TokenKeys, TokenPolicy } from './access-token';
import { AccessCheck } from './access-check';
import { JwksKeys } from './jwks-keys';
import { DEV_TOKENS_MINT_ADMIN, DevTokenController } from './dev-token.controller';
import { TokenService } from './token.service';

function tokenKeys(config: GatewayConfig): TokenKeys {
  const jwks =
    config.JWT_JWKS_URL === undefined
      ? undefined
      : new JwksKeys({
          url: config.JWT_JWKS_URL,
          cacheSeconds: config.JWKS_CACHE_SECONDS,
          minRefreshSeconds: JWKS_MIN_REFRESH_SECONDS,
          timeoutMs: JWKS_TIMEOUT_MS,
        });
  return {
    ...(config.JWT_SECRET === undefined ? {} : { secret: config.JWT_SECRET }),
    ...(jwks
      ? { publicKey: (kid, alg) => jwks.keyFor(kid, alg), keySetVersion: () => jwks.version }
      : {}),
  };
}

const tokenPolicy = (config: GatewayConfig): TokenPolicy => ({
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
  maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
  clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
});

/** A rotation is noticed at the first token naming a new key; forged kids refetch no faster. */
const JWKS_MIN_REFRESH_SECONDS = 30;
const JWKS_TIMEOUT_MS = 3000;

@Module({})
export class AuthModule {
  /** Global so that any module can use AccessCheck. */
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
            new TokenService(tokenKeys(config), tokenPolicy(config), clock),
        },
        AccessCheck,
        { provide: DEV_TOKENS_MINT_ADMIN, useValue: config.AUTH_DEV_TOKENS_ADMIN },
      ],
      exports: [TokenService, AccessCheck],
    };
  }
}
