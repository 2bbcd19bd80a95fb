import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsUUID, ValidateNested } from 'class-validator';
import { Money } from '../money';

export const LESSON_COMPLETED_BY = ['instructor', 'system'] as const;

/** A booked lesson took place. The trigger for rewards and payouts. Key: bookingId. */
export class LessonCompletedV1 {
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

  @IsISO8601({ strict: true })
  completedAt!: string;
}
