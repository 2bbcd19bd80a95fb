import { BaseServiceConfig, toBool, toInt } from '@rewards/service-kit';
import {
  IsBoolean,
  IsInt,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';

const UPSTREAM_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The gateway's environment; see docs/architecture.md for what each variable means. */
export class GatewayConfig extends BaseServiceConfig {
  override PORT: number = 3000;

  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET!: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER: string = 'rewards-platform';

  // Dev tokens let anyone sign in as anyone, so production refuses to boot with them on.
  @toBool()
  @IsBoolean()
  @ValidateBy({
    name: 'devTokensOutsideProduction',
    validator: {
      validate: (value: unknown, args) =>
        !(value === true && (args?.object as GatewayConfig).NODE_ENV === 'production'),
      defaultMessage: () => 'AUTH_DEV_TOKENS must not be true when NODE_ENV=production',
    },
  })
  AUTH_DEV_TOKENS: boolean = false;

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
