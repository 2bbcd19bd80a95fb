import { DataServiceConfig, toInt } from '@rewards/service-kit';
import { IsInt, IsOptional, IsUrl, Matches, Min } from 'class-validator';

const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

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

  /** Where to ask for a beneficiary's connected account. */
  @IsUrl(HTTP_URL)
  BOOKINGS_URL: string = 'http://127.0.0.1:3001';

  /** Safety net: how often payouts due for an attempt (retries, or stuck after a crash) run. */
  @toInt()
  @IsInt()
  @Min(1000)
  PAYOUT_SWEEP_INTERVAL_MS: number = 900_000;

  /** Delay after a failed transfer attempt before the next one. */
  @toInt()
  @IsInt()
  @Min(1000)
  PAYOUT_RETRY_INTERVAL_MS: number = 3_600_000;

  /** How long after the request attempts go on before the payout is given up (payout-failed). */
  @toInt()
  @IsInt()
  @Min(0)
  PAYOUT_RETRY_WINDOW_MS: number = 604_800_000;
}
