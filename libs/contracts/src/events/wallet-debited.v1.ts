import { Type } from 'class-transformer';
import { IsISO8601, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

/**
 * Credit was taken from a user's wallet: spent at checkout (its capture; sourceId the booking),
 * voided with its reward, or paid to a debt. Key: ownerId.
 */
export class WalletDebitedV1 {
  @IsUUID()
  transactionId!: string;

  @IsUUID()
  ownerId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  @IsOptional()
  @IsString()
  sourceId?: string;

  @IsISO8601({ strict: true })
  debitedAt!: string;
}
