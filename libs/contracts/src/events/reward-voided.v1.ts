import { IsISO8601, IsString, IsUUID, Length } from 'class-validator';

/** A reward was voided (refund, fraud review); nothing of it may be paid or spent. Key: rewardId. */
export class RewardVoidedV1 {
  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  /** Stable reason code, e.g. `REFUNDED`, `FRAUD_REVIEW_VOID`. */
  @IsString()
  @Length(1, 64)
  reason!: string;

  @IsISO8601({ strict: true })
  voidedAt!: string;
}
