import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsUUID, Matches, ValidateNested } from 'class-validator';
import { Money } from '../money';
import { LESSON_COMPLETED_BY } from './lesson-completed.v1';

/**
 * A booked lesson took place. The trigger for rewards and payouts. Key: bookingId.
 * v2 adds `startsAt`, so a consumer can tell a lesson completed after it started (v1 cannot).
 */
export class LessonCompletedV2 {
  @IsUUID()
  bookingId!: string;

  @IsUUID()
  studentId!: string;

  @IsUUID()
  instructorId!: string;

  @ValidateNested()
  @Type(() => Money)
  price!: Money;

  /** Who marked it complete: the instructor, or the system after the lesson's end time. */
  @IsIn(LESSON_COMPLETED_BY)
  completedBy!: (typeof LESSON_COMPLETED_BY)[number];

  /** When the lesson was booked to start. */
  @IsISO8601({ strict: true })
  startsAt!: string;

  @IsISO8601({ strict: true })
  completedAt!: string;

  /**
   * Keyed hash (attributionHash, kind `card`) of the fingerprint of the card that paid the
   * lesson: equal for one card across accounts, never the fingerprint itself. Absent when
   * nothing was charged, and on events published before lessons were paid by card.
   */
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/)
  paymentFingerprintHash?: string;
}
