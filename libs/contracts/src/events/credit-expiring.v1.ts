import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsUUID, Min, ValidateNested } from 'class-validator';
import { Money } from '../money';

/** A reminder: some of a user's credit expires soon. Key: ownerId. */
export class CreditExpiringV1 {
  @IsUUID()
  creditId!: string;

  @IsUUID()
  ownerId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  @IsInt()
  @Min(0)
  daysLeft!: number;

  @IsISO8601({ strict: true })
  expiresAt!: string;
}
