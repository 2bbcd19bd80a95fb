import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsUUID, ValidateNested } from 'class-validator';
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
}
