import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsISO8601,
  IsString,
  IsUUID,
  Length,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Money } from '../money';

/**
 * A payout could not be paid: for now (`final: false`, published after every failed attempt
 * that will be retried, with when), or for good (`final: true`). Key: payoutId.
 * v2 adds `nextAttemptAt`, so a consumer can show "failed, retrying at T"; v1 was only
 * published for final failures.
 */
export class PayoutFailedV2 {
  @IsUUID()
  payoutId!: string;

  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  /** Stable reason code, e.g. `PAYOUTS_NOT_ENABLED`, `TRANSFER_REVERSED`, `STRIPE_BALANCE_INSUFFICIENT`. */
  @IsString()
  @Length(1, 64)
  reason!: string;

  /** True when no more attempts will be made. */
  @IsBoolean()
  final!: boolean;

  /** When the next attempt is due: required when `final` is false; null when it is true. */
  @ValidateIf((e: PayoutFailedV2) => !e.final || e.nextAttemptAt !== null)
  @IsISO8601({ strict: true })
  nextAttemptAt!: string | null;

  @IsISO8601({ strict: true })
  failedAt!: string;
}
