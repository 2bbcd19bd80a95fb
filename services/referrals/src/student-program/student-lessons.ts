import { EntityManager } from 'typeorm';
import { CompletedLesson } from '../program/qualifying-lesson';
import { reachedLessons } from '../program/lesson-run';

interface StudentLessonRow {
  booking_id: string;
  student_id: string;
  instructor_id: string;
  price_cents: number;
  starts_at: Date | null;
  completed_at: Date;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

const LESSON_COLUMNS =
  'booking_id, student_id, instructor_id, price_cents, starts_at, completed_at';

/** A row of student_lessons, ids as Postgres spells them (lower case), like the rules' other ids. */
function studentLesson(r: StudentLessonRow): CompletedLesson {
  return {
    bookingId: r.booking_id,
    studentId: r.student_id,
    instructorId: r.instructor_id,
    priceCents: r.price_cents,
    startsAt: r.starts_at,
    completedAt: r.completed_at,
  };
}

/**
 * The student's lessons that still count (not cancelled), earliest first; in a run of lesson
 * completions, without the run's lessons not reached yet (see LessonRun).
 */
export async function readStudentLessons(
  tx: EntityManager,
  studentId: string,
  notReached?: ReadonlySet<string>,
): Promise<CompletedLesson[]> {
  const rows = await tx.query<StudentLessonRow[]>(
    `SELECT ${LESSON_COLUMNS} FROM student_lessons
      WHERE student_id = $1 AND cancelled_at IS NULL ORDER BY completed_at, booking_id`,
    [studentId],
  );
  return reachedLessons(rows.map(studentLesson), notReached);
}

/** A referee of the student program whose referrer's reward is not decided yet. */
export interface AwaitingStudent {
  referrerId: string;
  /** Every lesson of the student that still counts, the run's own included (see LessonRun). */
  lessons: CompletedLesson[];
}

/**
 * Which of the students are referees a reward can still be decided for (attributed by the
 * student program, email and phone verified, no decision yet: what DecideStudentReward checks
 * first), with their lessons, in one read: after the run's locks and lessons.
 */
export async function studentsAwaitingReward(
  tx: EntityManager,
  studentIds: readonly string[],
): Promise<Map<string, AwaitingStudent>> {
  const rows = await tx.query<
    Array<Nullable<StudentLessonRow> & { referee_id: string; referrer_id: string }>
  >(
    `SELECT a.referee_id, a.referrer_id, ${LESSON_COLUMNS.replace(/(\w+)/g, 'l.$1')}
       FROM attributions a
       JOIN referral_users u
         ON u.user_id = a.referee_id AND u.email_verified AND u.phone_verified
       LEFT JOIN student_lessons l ON l.student_id = a.referee_id AND l.cancelled_at IS NULL
      WHERE a.referee_id = ANY($1::uuid[]) AND a.outcome = 'attributed' AND a.program = 'student'
        AND NOT EXISTS (SELECT 1 FROM student_rewards r
                         WHERE r.referee_id = a.referee_id AND r.kind = 'student_referral_credit')
      ORDER BY a.referee_id, l.completed_at, l.booking_id`,
    [[...new Set(studentIds)]],
  );
  const awaiting = new Map<string, AwaitingStudent>();
  for (const r of rows) {
    let student = awaiting.get(r.referee_id);
    if (student === undefined) {
      student = { referrerId: r.referrer_id, lessons: [] };
      awaiting.set(r.referee_id, student);
    }
    if (r.booking_id !== null) student.lessons.push(studentLesson(r as StudentLessonRow));
  }
  return awaiting;
}
