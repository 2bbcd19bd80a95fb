import { EntityManager } from 'typeorm';
import { instructorLesson, InstructorLessonRow } from '../instructor-program/instructor-milestones';
import { CompletedLesson } from '../program/qualifying-lesson';

/** A referred instructor whose referrer's fee rebate is not decided yet. */
export interface AwaitingRebate {
  referrerId: string;
  /** Every lesson of the instructor, the run's own included (see LessonRun). */
  lessons: CompletedLesson[];
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

/**
 * Which of the instructors a rebate can still be due for (attributed by the instructor program,
 * no rebate yet: what GrantFeeRebate checks first), with their lessons, in one read: after the
 * run's locks and lessons.
 */
export async function instructorsAwaitingRebate(
  tx: EntityManager,
  instructorIds: readonly string[],
): Promise<Map<string, AwaitingRebate>> {
  const rows = await tx.query<
    Array<Nullable<InstructorLessonRow> & { referee_id: string; referrer_id: string }>
  >(
    `SELECT a.referee_id, a.referrer_id, l.booking_id, l.instructor_id, l.student_id,
       l.price_cents, l.starts_at, l.completed_at
       FROM attributions a
       LEFT JOIN instructor_lessons l ON l.instructor_id = a.referee_id
      WHERE a.referee_id = ANY($1::uuid[]) AND a.outcome = 'attributed'
        AND a.program = 'instructor'
        AND NOT EXISTS (SELECT 1 FROM student_rewards r
                         WHERE r.referee_id = a.referee_id AND r.kind = 'fee_rebate')
      ORDER BY a.referee_id, l.completed_at, l.booking_id`,
    [[...new Set(instructorIds)]],
  );
  const awaiting = new Map<string, AwaitingRebate>();
  for (const r of rows) {
    let instructor = awaiting.get(r.referee_id);
    if (instructor === undefined) {
      instructor = { referrerId: r.referrer_id, lessons: [] };
      awaiting.set(r.referee_id, instructor);
    }
    if (r.booking_id !== null) instructor.lessons.push(instructorLesson(r as InstructorLessonRow));
  }
  return awaiting;
}
