import { Type } from 'class-transformer';
import { IsISO8601, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

/** Credit was added to a user's wallet: a reward unlocked, or a checkout refunded. Key: ownerId. */
export class WalletCreditedV1 {
  @IsUUID()
  transactionId!: string;

  @IsUUID()
  ownerId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  /** What caused it, e.g. the reward id. */
  @IsOptional()
  @IsString()
  sourceId?: string;

  @IsISO8601({ strict: true })
  creditedAt!: string;
}
