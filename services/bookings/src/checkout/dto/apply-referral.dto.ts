import { CURRENCIES, Currency } from '@rewards/contracts';
import { IsIn, IsInt, IsISO8601, IsUUID, Max, Min } from 'class-validator';

/** `POST /checkout/apply-referral`: the lesson to quote, as `POST /bookings` would book it. */
export class ApplyReferralDto {
  @IsUUID()
  instructorId!: string;

  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  endsAt!: string;

  /** Lesson list price in cents. */
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  priceCents!: number;

  @IsIn(CURRENCIES)
  currency: Currency = 'USD';
}
