import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DevTokenRequest, type DevTokenResponse } from './dto/dev-token.request';
import { TokenService } from './token.service';

const DEFAULT_TTL_SECONDS = 3600;

/** Mints tokens for local development and tests; only mounted when AUTH_DEV_TOKENS=true. */
@Controller('auth')
export class DevTokenController {
  constructor(private readonly tokens: TokenService) {}

  @Post('dev-token')
  @HttpCode(200)
  issue(@Body() body: DevTokenRequest): DevTokenResponse {
    const userId = body.userId ?? randomUUID();
    const roles = [body.role];
    const { token, expiresAt } = this.tokens.issue({
      userId,
      roles,
      ttlSeconds: body.ttlSeconds ?? DEFAULT_TTL_SECONDS,
    });
    return { token, userId, roles, expiresAt: expiresAt.toISOString() };
  }
}
