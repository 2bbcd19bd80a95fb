import { DataServiceConfig, toInt } from '@rewards/service-kit';
import {
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  NotEquals,
  ValidateIf,
} from 'class-validator';

/** The pepper of device and IP hashes outside production; production must set its own. */
const DEV_ATTRIBUTION_PEPPER = 'dev-only-attribution-pepper-not-secret';

export class ReferralsConfig extends DataServiceConfig {
  override PORT = 3002;

  /** Public origin of share links: `${PUBLIC_BASE_URL}/r/{code}`. */
  @Matches(/^https?:\/\/[^/]+$/, {
    message: 'PUBLIC_BASE_URL must be an origin like https://example.com',
  })
  PUBLIC_BASE_URL: string = 'http://127.0.0.1:3000';

  /** Where a share link lands (with `?ref=CODE` when the code is valid). */
  @Matches(/^https?:\/\/[^\s?#]+$/, { message: 'LANDING_URL must be an http(s) URL without query' })
  LANDING_URL: string = 'http://127.0.0.1:3000/join';

  /** HMAC key of stored device and IP hashes; bookings must use the same one. */
  @IsString()
  @MinLength(32)
  @ValidateIf((c: ReferralsConfig) => c.NODE_ENV === 'production')
  @NotEquals(DEV_ATTRIBUTION_PEPPER, {
    message: 'ATTRIBUTION_HASH_PEPPER must be set to a secret in production',
  })
  ATTRIBUTION_HASH_PEPPER: string = DEV_ATTRIBUTION_PEPPER;

  /** How often buffered clicks are written. */
  @toInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  CLICK_FLUSH_INTERVAL_MS: number = 1000;

  /** Clicks kept in memory while the database cannot take them; the oldest go past it. */
  @toInt()
  @IsInt()
  @Min(1000)
  CLICK_BUFFER_MAX: number = 100_000;

  /** How often held student rewards are unlocked and stale reviews expire (once per tick). */
  @toInt()
  @IsInt()
  @Min(1000)
  REWARD_UNLOCK_INTERVAL_MS: number = 15 * 60_000;
}
