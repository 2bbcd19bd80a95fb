import { BaseServiceConfig, toBool, toInt } from '@rewards/service-kit';
import { Transform } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
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

  /** Per-upstream timeouts overriding UPSTREAM_TIMEOUT_MS, e.g. `payouts=3000,wallet=2000`. */
  @IsOptional()
  @Matches(
    /^(bookings|referrals|wallet|payouts)=\d{3,6}(,(bookings|referrals|wallet|payouts)=\d{3,6})*$/,
    {
      message:
        'UPSTREAM_TIMEOUTS must be <upstream>=<ms>[,...] with upstreams bookings, referrals, wallet, payouts',
    },
  )
  UPSTREAM_TIMEOUTS?: string = undefined;

  /** Keep-alive connections per upstream; requests beyond them wait for one. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1024)
  UPSTREAM_MAX_SOCKETS: number = 128;

  /** Rate-limit buckets shared by every replica; unset: each replica counts in its memory. */
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string = undefined;

  /** Prefix of the rate-limit keys in Redis, to share one Redis between deployments. */
  @Matches(/^[\w:.-]{1,64}$/)
  RATE_LIMIT_KEY_PREFIX: string = 'gateway:rl:';

  /** Requests a minute per client IP on each public route without a limit of its own. */
  @toInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_PUBLIC_PER_MINUTE: number = 60;

  /** Requests a minute per user on each signed-in route without a limit of its own. */
  @toInt()
  @IsInt()
  @Min(1)
  RATE_LIMIT_USER_PER_MINUTE: number = 600;

  /** Web origins allowed to call the API from a browser, e.g. `https://app.example.com`. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean)
      : value,
  )
  @IsArray()
  @Matches(/^https?:\/\/[^/\s,*]+$/, {
    each: true,
    message: 'CORS_ORIGINS must be origins like https://app.example.com, comma-separated',
  })
  CORS_ORIGINS: string[] = [];

  /**
   * Proxies in front of the gateway (load balancer, ingress) whose X-Forwarded-For entries are
   * trusted (0: none, the connection's peer is the client). The client address so found keys the
   * public rate limits and is what referrals hashes for clicks and signups.
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(5)
  TRUST_PROXY_HOPS: number = 0;
}
