import { Type } from 'class-transformer';
import { IsISO8601, IsString, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

/** The payout's Stripe Transfer was created. Key: payoutId. */
export class PayoutPaidV1 {
  @IsUUID()
  payoutId!: string;

  @IsUUID()
  rewardId!: string;

  @IsUUID()
  beneficiaryId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  /** Stripe Transfer id (tr_...). */
  @IsString()
  transferId!: string;

  @IsISO8601({ strict: true })
  paidAt!: string;
}
