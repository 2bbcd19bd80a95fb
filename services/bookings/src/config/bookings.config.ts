import { DataServiceConfig, toInt } from '@rewards/service-kit';
import { IsEmail, IsInt, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class BookingsConfig extends DataServiceConfig {
  override PORT = 3001;

  /** Longest lesson a booking may cover. */
  @toInt()
  @IsInt()
  @Min(15)
  @Max(600)
  MAX_LESSON_MINUTES: number = 240;

  /** Where checkout reserves and captures wallet credit (internal routes). */
  @IsUrl(HTTP_URL)
  WALLET_URL: string = 'http://127.0.0.1:3003';

  /** Timeout of one call to the wallet; checkout answers 503 WALLET_UNAVAILABLE past it. */
  @toInt()
  @IsInt()
  @Min(100)
  @Max(30_000)
  WALLET_TIMEOUT_MS: number = 2000;

  /** HMAC-SHA256 key that signs checkout quotes, so a client cannot alter one. */
  @IsString()
  @MinLength(32, { message: 'CHECKOUT_QUOTE_SECRET must be at least 32 characters' })
  CHECKOUT_QUOTE_SECRET!: string;

  /** How long a quote can be confirmed. */
  @toInt()
  @IsInt()
  @Min(30)
  @Max(3600)
  CHECKOUT_QUOTE_TTL_SECONDS: number = 600;

  /** The platform's fee on a lesson's list price, in basis points (1500 = 15%). */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(10_000)
  PLATFORM_FEE_BPS: number = 1500;

  /** SMTP relay of reminder emails; empty: reminders are queued but not sent. */
  @Matches(/^$|^[A-Za-z0-9.-]+$/, { message: 'SMTP_HOST must be a host name or address' })
  SMTP_HOST: string = '';

  @toInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  SMTP_PORT: number = 25;

  @IsEmail({ require_tld: false })
  SMTP_FROM: string = 'rewards@localhost';

  @toInt()
  @IsInt()
  @Min(100)
  SMTP_TIMEOUT_MS: number = 10_000;

  /** How often queued reminder emails are sent. */
  @toInt()
  @IsInt()
  @Min(100)
  SMTP_SEND_INTERVAL_MS: number = 10_000;
}
