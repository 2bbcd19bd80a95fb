import { DataServiceConfig, toInt } from '@rewards/service-kit';
import {
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  NotEquals,
  ValidateIf,
} from 'class-validator';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The pepper of verification code hashes outside production; production must set its own. */
const DEV_VERIFICATION_PEPPER = 'dev-only-verification-pepper-not-secret';
/** Same value as referrals' default: both hash device ids and IPs alike. */
const DEV_ATTRIBUTION_PEPPER = 'dev-only-attribution-pepper-not-secret';

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

  /** Connections kept open to the wallet; calls beyond them wait for one. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(1024)
  WALLET_MAX_SOCKETS: number = 64;

  /**
   * How long a confirmed checkout's capture waits for others to go to the wallet in one call
   * (a batch leaves sooner once 100 wait).
   */
  @toInt()
  @IsInt()
  @Min(0)
  @Max(1000)
  WALLET_CAPTURE_BATCH_MS: number = 20;

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

  /** How often queued reminder emails are sent (through SMTP_URL). */
  @toInt()
  @IsInt()
  @Min(100)
  SMTP_SEND_INTERVAL_MS: number = 10_000;

  /**
   * Where email goes out: smtp://host:port (STARTTLS when offered; port 587 if omitted) or
   * smtps://host:port (implicit TLS; 465). May carry user:pass@ locally; deployments keep the
   * URL in configuration and the credentials in SMTP_USERNAME / SMTP_PASSWORD.
   */
  @Matches(/^smtps?:\/\/[^/\s]+\/?$/, { message: 'SMTP_URL must look like smtp://host:port' })
  SMTP_URL: string = 'smtp://127.0.0.1:2525';

  /** SMTP login, from a Secret; overrides a user in SMTP_URL. */
  @ValidateIf((c: BookingsConfig) => c.SMTP_USERNAME !== undefined || c.SMTP_PASSWORD !== undefined)
  @IsString({ message: 'SMTP_USERNAME must be set when SMTP_PASSWORD is' })
  @MinLength(1)
  SMTP_USERNAME?: string = undefined;

  /** SMTP password, from a Secret; goes with SMTP_USERNAME. */
  @IsOptional()
  @IsString()
  SMTP_PASSWORD?: string = undefined;

  @IsString()
  @MinLength(3)
  EMAIL_FROM: string = 'Lessons Rewards <no-reply@rewards.local>';

  /** The local SMS sender appends each message here as a JSON line (no SMS provider yet). */
  @IsString()
  @MinLength(1)
  SMS_LOG_FILE: string = '.local/sms/messages.jsonl';

  /** Key of the HMAC that stores verification codes; a real secret in production. */
  @IsString()
  @MinLength(32)
  @ValidateIf((c: BookingsConfig) => c.NODE_ENV === 'production')
  @NotEquals(DEV_VERIFICATION_PEPPER, {
    message: 'VERIFICATION_CODE_PEPPER must be set to a secret in production',
  })
  VERIFICATION_CODE_PEPPER: string = DEV_VERIFICATION_PEPPER;

  /** How long a one-time code can be confirmed. */
  @toInt()
  @IsInt()
  @Min(60_000)
  VERIFICATION_CODE_TTL_MS: number = 10 * 60_000;

  /** Wrong guesses allowed per code; then a new code must be requested. */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(20)
  VERIFICATION_MAX_ATTEMPTS: number = 5;

  /** Codes a user may be sent per channel per rolling hour. */
  @toInt()
  @IsInt()
  @Min(1)
  VERIFICATION_SENDS_PER_HOUR: number = 5;

  /** Least time between two codes sent to one user on one channel. */
  @toInt()
  @IsInt()
  @Min(0)
  VERIFICATION_RESEND_COOLDOWN_MS: number = 30_000;

  /** HMAC key of device and IP hashes sent at signup; the same value as referrals'. */
  @IsString()
  @MinLength(32)
  @ValidateIf((c: BookingsConfig) => c.NODE_ENV === 'production')
  @NotEquals(DEV_ATTRIBUTION_PEPPER, {
    message: 'ATTRIBUTION_HASH_PEPPER must be set to a secret in production',
  })
  ATTRIBUTION_HASH_PEPPER: string = DEV_ATTRIBUTION_PEPPER;

  /** Asked at signup whether the referral will count, so the answer can say why not. */
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'REFERRALS_URL must be an http(s) URL' })
  REFERRALS_URL: string = 'http://127.0.0.1:3002';

  /** Charges lessons at confirmation and refunds them (a secret or restricted key). */
  @Matches(/^(sk|rk)_(test|live)_\S+$/, { message: 'STRIPE_SECRET_KEY must be an sk_ or rk_ key' })
  STRIPE_SECRET_KEY!: string;

  /** Unset: the real Stripe API. Set (e.g. http://127.0.0.1:12111) to talk to a fake. */
  @IsOptional()
  @IsUrl(HTTP_URL)
  STRIPE_API_URL?: string = undefined;

  /** Timeout of one Stripe call; the booking answers 503 PAYMENT_UNAVAILABLE past it. */
  @toInt()
  @IsInt()
  @Min(500)
  @Max(60_000)
  STRIPE_TIMEOUT_MS: number = 10_000;

  /** How often card charges left without a settled booking are reconciled with Stripe. */
  @toInt()
  @IsInt()
  @Min(1000)
  CHARGE_RECONCILE_INTERVAL_MS: number = 60_000;

  /**
   * How old a charge still 'charging' must be before the reconciliation settles it: longer than
   * a booking request can take (more than twice STRIPE_TIMEOUT_MS, checked at boot) and than
   * Stripe's search takes to show a new intent (about a minute).
   */
  @toInt()
  @IsInt()
  @Min(1000)
  CHARGE_RECONCILE_GRACE_MS: number = 5 * 60_000;
}
