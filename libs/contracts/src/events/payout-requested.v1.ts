import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

export const PAYOUT_REASONS = ['instructor_referral_bonus'] as const;

/** A cash reward must be paid out by Stripe Transfer, exactly once. Key: payoutId. */
export class PayoutRequestedV1 {
  /** Unique per earned bonus; the transfer's idempotency key derives from it. */
  @IsUUID()
  payoutId!: string;

  @IsUUID()
  rewardId!: string;

  /** The user to pay (their connected account is held by bookings). */
  @IsUUID()
  beneficiaryId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  @IsIn(PAYOUT_REASONS)
  reason!: (typeof PAYOUT_REASONS)[number];

  @IsISO8601({ strict: true })
  requestedAt!: string;
}
