import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { PlatformError } from '@rewards/service-kit';
import { randomUUID } from 'node:crypto';
import { DevTokenRequest, type DevTokenResponse } from './dto/dev-token.request';
import { TokenService } from './token.service';

const DEFAULT_TTL_SECONDS = 3600;

/** AUTH_DEV_TOKENS_ADMIN: whether a dev token may carry the admin role. */
export const DEV_TOKENS_MINT_ADMIN = Symbol('DEV_TOKENS_MINT_ADMIN');

/** Mints tokens for local development and tests; only mounted when AUTH_DEV_TOKENS=true. */
@Controller('auth')
export class DevTokenController {
  constructor(
    private readonly tokens: TokenService,
    @Inject(DEV_TOKENS_MINT_ADMIN) private readonly adminAllowed: boolean,
  ) {}

  @Post('dev-token')
  @HttpCode(200)
  issue(@Body() body: DevTokenRequest): DevTokenResponse {
    if (body.role === 'admin' && !this.adminAllowed) {
      throw new PlatformError(
        'FORBIDDEN',
        'dev tokens do not carry the admin role unless AUTH_DEV_TOKENS_ADMIN=true',
      );
    }
    const max = this.tokens.maxLifetimeSeconds;
    const ttlSeconds = body.ttlSeconds ?? Math.min(DEFAULT_TTL_SECONDS, max);
    if (ttlSeconds > max) {
      throw new PlatformError(
        'VALIDATION_FAILED',
        `ttlSeconds must not be greater than ${max} (JWT_MAX_LIFETIME_SECONDS)`,
        'ttlSeconds',
      );
    }
    const userId = body.userId ?? randomUUID();
    const roles = [body.role];
    const { token, expiresAt } = this.tokens.issue({ userId, roles, ttlSeconds });
    return { token, userId, roles, expiresAt: expiresAt.toISOString() };
  }
}
