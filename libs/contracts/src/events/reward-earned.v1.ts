import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

export const REWARD_KINDS = [
  'instructor_referral_bonus',
  'student_referral_credit',
  'fee_rebate',
] as const;
export type RewardKind = (typeof REWARD_KINDS)[number];

/** A referrer earned a reward; it may still be held or paid later. Key: rewardId. */
export class RewardEarnedV1 {
  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  @IsIn(REWARD_KINDS)
  kind!: RewardKind;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  @IsISO8601({ strict: true })
  earnedAt!: string;
}
