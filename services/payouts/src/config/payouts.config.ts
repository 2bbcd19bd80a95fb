import { DataServiceConfig, toInt } from '@rewards/service-kit';
import {
  IsInt,
  IsOptional,
  IsUrl,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidationArguments,
} from 'class-validator';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Refuses a delay shorter than the lease: the next attempt could then start while the previous
 * one (or a Stripe request it timed out on) is still under way, with another idempotency key.
 */
function NotShorterThanLease() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'notShorterThanLease',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          const lease = (args.object as PayoutsConfig).PAYOUT_LEASE_MS;
          return typeof value === 'number' && typeof lease === 'number' && value >= lease;
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must not be shorter than PAYOUT_LEASE_MS ` +
          `(${String((args.object as PayoutsConfig).PAYOUT_LEASE_MS)} ms), or attempts would overlap`,
      },
    });
}

/** The payouts environment; see docs/architecture.md for what each variable means. */
export class PayoutsConfig extends DataServiceConfig {
  override PORT = 3004;

  // A publishable key (pk_) would only fail at the first transfer: refuse it at boot.
  @Matches(/^(sk|rk)_(test|live)_\S+$/, { message: 'STRIPE_SECRET_KEY must be an sk_ or rk_ key' })
  STRIPE_SECRET_KEY!: string;

  /** Unset: the real Stripe API. Set (e.g. http://127.0.0.1:12111) to talk to a fake. */
  @IsOptional()
  @IsUrl(HTTP_URL)
  STRIPE_API_URL?: string = undefined;

  /** Verifies Stripe webhook signatures (the webhook route comes later; boot requires it now). */
  @Matches(/^whsec_\S+$/, { message: 'STRIPE_WEBHOOK_SECRET must be a whsec_ signing secret' })
  STRIPE_WEBHOOK_SECRET!: string;

  /** The usual timeout of one Stripe call; an attempt shortens it to what is left of its budget. */
  @toInt()
  @IsInt()
  @Min(500)
  STRIPE_TIMEOUT_MS: number = 20_000;

  /**
   * Stripe calls this service may start per second, all replicas together (counted in
   * Postgres). Stripe allows 25 a second in test mode and 100 in live mode.
   */
  @toInt()
  @IsInt()
  @Min(1)
  STRIPE_RATE_LIMIT_PER_SECOND: number = 25;

  /**
   * Transfer attempts one replica runs at once for each of: requested payouts, the sweep, the
   * resume poll. A burst of requests queues behind them rather than piling up on the limiter.
   */
  @toInt()
  @IsInt()
  @Min(1)
  @Max(100)
  PAYOUT_MAX_CONCURRENT_ATTEMPTS: number = 8;

  /** Where to ask for a beneficiary's connected account. */
  @IsUrl(HTTP_URL)
  BOOKINGS_URL: string = 'http://127.0.0.1:3001';

  /** How often every payout due for an attempt runs (the hourly retries); also once at start. */
  @toInt()
  @IsInt()
  @Min(1000)
  PAYOUT_SWEEP_INTERVAL_MS: number = 900_000;

  /**
   * How long a claimed payout is reserved for the attempt that claimed it. An attempt keeps its
   * calls to bookings and Stripe within three quarters of it; one that has not recorded its
   * outcome when the lease ends was interrupted (crash, lost database) and is resumed.
   */
  @toInt()
  @IsInt()
  @Min(5000)
  PAYOUT_LEASE_MS: number = 20_000;

  /** How often to look for interrupted attempts (and requested payouts never attempted). */
  @toInt()
  @IsInt()
  @Min(50)
  PAYOUT_RESUME_INTERVAL_MS: number = 5_000;

  /**
   * Cap of the per-payout backoff of resumes: the lease doubles with each interrupted attempt
   * of the payout, up to this. Keep it plus the resume interval under a minute.
   */
  @toInt()
  @IsInt()
  @NotShorterThanLease()
  PAYOUT_RESUME_MAX_BACKOFF_MS: number = 50_000;

  /** Delay after a failed transfer attempt before the next one. */
  @toInt()
  @IsInt()
  @Min(1000)
  @NotShorterThanLease()
  PAYOUT_RETRY_INTERVAL_MS: number = 3_600_000;

  /**
   * Delay after an attempt whose transfer may exist (the create timed out, failed on Stripe's
   * side or met a 409) and was not found by transfer group right after: the next attempt
   * looks again and reuses the same idempotency key.
   */
  @toInt()
  @IsInt()
  @NotShorterThanLease()
  PAYOUT_UNCERTAIN_RETRY_MS: number = 60_000;

  /** How long after the request attempts go on before the payout is given up (payout-failed). */
  @toInt()
  @IsInt()
  @Min(0)
  PAYOUT_RETRY_WINDOW_MS: number = 604_800_000;
}
