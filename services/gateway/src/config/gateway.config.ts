import { BaseServiceConfig, toBool, toInt } from '@rewards/service-kit';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  type ValidationArguments,
} from 'class-validator';

const notInProduction = (name: string) => ({
  name: 'notInProduction',
  validator: {
    validate: (value: unknown, args?: ValidationArguments) =>
      !(value === true && (args?.object as GatewayConfig).NODE_ENV === 'production'),
    defaultMessage: () => `${name} must not be true when NODE_ENV=production`,
  },
});

const UPSTREAM_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The gateway's environment; see docs/architecture.md for what each variable means. */
export class GatewayConfig extends BaseServiceConfig {
  override PORT: number = 3000;

  /** HS256 key of bearer tokens (local use, dev tokens); optional when JWT_JWKS_URL is set. */
  @ValidateIf((c: GatewayConfig) => c.JWT_SECRET !== undefined || c.JWT_JWKS_URL === undefined)
  @IsString({ message: 'JWT_SECRET or JWT_JWKS_URL must be set' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string = undefined;

  /** The identity provider's key set (RS256/ES256 tokens); https in production. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @ValidateBy({
    name: 'httpsInProduction',
    validator: {
      validate: (value: unknown, args) =>
        (args?.object as GatewayConfig).NODE_ENV !== 'production' ||
        (typeof value === 'string' && value.startsWith('https://')),
      defaultMessage: () => 'JWT_JWKS_URL must be https when NODE_ENV=production',
    },
  })
  JWT_JWKS_URL?: string = undefined;

  @toInt()
  @IsInt()
  @Min(10)
  @Max(86_400)
  JWKS_CACHE_SECONDS: number = 600;

  @IsString()
  @MinLength(1)
  JWT_ISSUER: string = 'rewards-platform';

  /** The `aud` every bearer token must name. */
  @IsString()
  @MinLength(1)
  JWT_AUDIENCE: string = 'rewards-api';

  /** Longest accepted lifetime (exp - iat) of a bearer token. */
  @toInt()
  @IsInt()
  @Min(60)
  @Max(86_400)
  JWT_MAX_LIFETIME_SECONDS: number = 3600;

  @toInt()
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_CLOCK_SKEW_SECONDS: number = 30;

  // Dev tokens let anyone sign in as anyone, so production refuses to boot with them on.
  @toBool()
  @IsBoolean()
  @ValidateBy(notInProduction('AUTH_DEV_TOKENS'))
  @ValidateBy({
    name: 'devTokensNeedSecret',
    validator: {
      validate: (value: unknown, args) =>
        value !== true || (args?.object as GatewayConfig).JWT_SECRET !== undefined,
      defaultMessage: () => 'AUTH_DEV_TOKENS needs JWT_SECRET to sign them',
    },
  })
  AUTH_DEV_TOKENS: boolean = false;

  /** Dev tokens may carry the admin role only when this is true too. */
  @toBool()
  @IsBoolean()
  @ValidateBy(notInProduction('AUTH_DEV_TOKENS_ADMIN'))
  AUTH_DEV_TOKENS_ADMIN: boolean = false;

  @IsUrl(UPSTREAM_URL)
  BOOKINGS_URL: string = 'http://127.0.0.1:3001';

  @IsUrl(UPSTREAM_URL)
  REFERRALS_URL: string = 'http://127.0.0.1:3002';

  @IsUrl(UPSTREAM_URL)
  WALLET_URL: string = 'http://127.0.0.1:3003';

  @IsUrl(UPSTREAM_URL)
  PAYOUTS_URL: string = 'http://127.0.0.1:3004';

  @toInt()
  @IsInt()
  @Min(100)
  @Max(120_000)
  UPSTREAM_TIMEOUT_MS: number = 10_000;

  /**
   * Whether the first X-Forwarded-For entry is the client's address (behind a load balancer
   * that sets it); otherwise the connection's address is. Used for click and signup IP hashes.
   */
  @toBool()
  @IsBoolean()
  TRUST_FORWARDED_FOR: boolean = false;
}
