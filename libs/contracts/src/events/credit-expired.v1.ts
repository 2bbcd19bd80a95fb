import { Type } from 'class-transformer';
import { IsISO8601, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

/** Unspent credit expired and left the wallet. Key: ownerId. */
export class CreditExpiredV1 {
  @IsUUID()
  creditId!: string;

  @IsUUID()
  ownerId!: string;

  @ValidateNested()
  @Type(() => Money)
  amount!: Money;

  @IsISO8601({ strict: true })
  expiredAt!: string;
}
