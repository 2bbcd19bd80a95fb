import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';
import { REWARD_KINDS, RewardKind } from './reward-earned.v1';

/** A held wallet reward passed its hold and becomes spendable credit. Key: rewardId. */
export class RewardUnlockedV1 {
  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  @IsIn(REWARD_KINDS)
  kind!: RewardKind;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  /** When the credit stops being spendable. */
  @IsISO8601({ strict: true })
  expiresAt!: string;

  @IsISO8601({ strict: true })
  unlockedAt!: string;
}
