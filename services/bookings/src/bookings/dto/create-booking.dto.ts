import { IsIn, IsInt, IsISO8601, IsUUID, Max, Min } from 'class-validator';
import { CURRENCIES, Currency } from '@rewards/contracts';

export class CreateBookingDto {
  @IsUUID()
  instructorId!: string;

  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  endsAt!: string;

  /** Lesson price in cents. */
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  priceCents!: number;

  @IsIn(CURRENCIES)
  currency: Currency = 'USD';
}
