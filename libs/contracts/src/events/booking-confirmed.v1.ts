import { Type } from 'class-transformer';
import { IsISO8601, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

/** A student's booking of a lesson was confirmed. Key: bookingId. */
export class BookingConfirmedV1 {
  @IsUUID()
  bookingId!: string;

  @IsUUID()
  studentId!: string;

  @IsUUID()
  instructorId!: string;

  /** Price the student pays, after any discount. */
  @ValidateNested()
  @Type(() => Money)
  price!: Money;

  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  endsAt!: string;

  @IsISO8601({ strict: true })
  confirmedAt!: string;
}
