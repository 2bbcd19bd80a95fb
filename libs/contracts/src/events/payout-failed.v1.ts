import { Type } from 'class-transformer';
import { IsBoolean, IsISO8601, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { Money } from '../money';

/** A payout could not be paid (for now, or for good when `final`). Key: payoutId. */
export class PayoutFailedV1 {
  @IsUUID()
  payoutId!: string;

  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  /** Stable reason code, e.g. `PAYOUTS_NOT_ENABLED`, `TRANSFER_REVERSED`, `RETRY_WINDOW_EXHAUSTED`. */
  @IsString()
  @Length(1, 64)
  reason!: string;

  /** True when no more attempts will be made. */
  @IsBoolean()
  final!: boolean;

  @IsISO8601({ strict: true })
  failedAt!: string;
}
