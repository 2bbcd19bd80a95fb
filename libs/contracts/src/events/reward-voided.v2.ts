import { IsBoolean, IsISO8601, IsString, IsUUID, Length } from 'class-validator';

/**
 * A reward was voided (refund, fraud review, ban); nothing of it may be paid or spent.
 * Key: rewardId. v2 adds `clawback`: the reward had already unlocked, so the wallet takes back
 * what is left of the credit and records the spent part as a debt (never deletes a posting).
 */
export class RewardVoidedV2 {
  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  /** Stable reason code, e.g. `REFUNDED_IN_HOLD`, `REFUNDED_AFTER_UNLOCK`, `REVIEW_VOIDED`. */
  @IsString()
  @Length(1, 64)
  reason!: string;

  /** True when the reward had unlocked (credit already spendable) before it was voided. */
  @IsBoolean()
  clawback!: boolean;

  @IsISO8601({ strict: true })
  voidedAt!: string;
}
