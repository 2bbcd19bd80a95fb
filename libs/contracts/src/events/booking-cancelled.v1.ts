import { IsBoolean, IsISO8601, IsString, IsUUID, Length } from 'class-validator';

/** A booking was cancelled, possibly with a refund. Key: bookingId. */
export class BookingCancelledV1 {
  @IsUUID()
  bookingId!: string;

  @IsUUID()
  studentId!: string;

  @IsUUID()
  instructorId!: string;

  @IsBoolean()
  refunded!: boolean;

  @IsString()
  @Length(1, 64)
  reason!: string;

  @IsISO8601({ strict: true })
  cancelledAt!: string;
}
