/** The facts of a completed lesson that decide whether it can earn a reward. */
export interface CompletedLesson {
  bookingId: string;
  studentId: string;
  instructorId: string;
  priceCents: number;
  /** Unknown for lessons reported by lesson-completed v1. */
  startsAt: Date | null;
  completedAt: Date;
  /** Keyed hash of the card that paid it, when lesson-completed carried one. */
  paymentFingerprintHash?: string | null;
}

export interface QualifyingLessonRule {
  /** The program's minimum price; a lesson must also be paid (above zero) whatever it says. */
  minimumPriceCents: number;
  /** Whoever would be rewarded for the lesson: their own lessons never count. */
  referrerId: string;
}

/** Why a lesson does not qualify. */
export type LessonRefusal =
  | 'LESSON_UNPAID'
  | 'LESSON_BELOW_MINIMUM'
  | 'STUDENT_IS_INSTRUCTOR'
  | 'STUDENT_IS_REFERRER'
  | 'LESSON_START_UNKNOWN'
  | 'COMPLETED_BEFORE_START';

/**
 * The one rule of every referral program for a lesson that can earn a reward: it was paid
 * (price above zero and at least the program's minimum), its student is neither its instructor
 * nor the referrer, and it was completed after it started. A lesson whose start is unknown
 * (lesson-completed v1) cannot prove the last point, so it does not qualify: the referee's next
 * lesson, reported with its start, will.
 */
export function lessonRefusal(
  lesson: CompletedLesson,
  rule: QualifyingLessonRule,
): LessonRefusal | undefined {
  if (lesson.priceCents <= 0) return 'LESSON_UNPAID';
  if (lesson.priceCents < rule.minimumPriceCents) return 'LESSON_BELOW_MINIMUM';
  if (lesson.studentId === lesson.instructorId) return 'STUDENT_IS_INSTRUCTOR';
  if (lesson.studentId === rule.referrerId) return 'STUDENT_IS_REFERRER';
  if (lesson.startsAt === null) return 'LESSON_START_UNKNOWN';
  if (lesson.completedAt.getTime() <= lesson.startsAt.getTime()) return 'COMPLETED_BEFORE_START';
  return undefined;
}

/** The earliest completed lesson that qualifies, if any. */
export function firstQualifyingLesson(
  lessons: readonly CompletedLesson[],
  rule: QualifyingLessonRule,
): CompletedLesson | undefined {
  return [...lessons]
    .sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime())
    .find((lesson) => lessonRefusal(lesson, rule) === undefined);
}
