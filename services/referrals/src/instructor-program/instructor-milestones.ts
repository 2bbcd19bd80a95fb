import { CompletedLesson } from '../program/qualifying-lesson';
import { EntityManager } from 'typeorm';
import { refereeLockArgs } from './lock-referee';
import { reachedLessons } from '../program/lesson-run';

export interface InstructorMilestones {
  wentLiveAt: Date | null;
}

export async function recordWentLive(
  tx: EntityManager,
  instructorId: string,
  at: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO instructor_milestones (instructor_id, went_live_at) VALUES ($1, $2)
     ON CONFLICT (instructor_id) DO UPDATE
       SET went_live_at = LEAST(instructor_milestones.went_live_at, EXCLUDED.went_live_at)`,
    [instructorId, at],
  );
}

/**
 * Takes the referee lock (see lock-referee.ts) and keeps the completed lesson, in one statement:
 * the lesson handler's hot path, where every round trip counts.
 */
export async function lockRefereeAndRecordLesson(
  tx: EntityManager,
  lesson: CompletedLesson,
): Promise<void> {
  await tx.query(
    `WITH locked AS (SELECT pg_advisory_xact_lock($1::int, hashtext($2)))
     INSERT INTO instructor_lessons (booking_id, instructor_id, student_id, price_cents, starts_at,
       completed_at)
     SELECT $3::uuid, $4::uuid, $5::uuid, $6::integer, $7::timestamptz, $8::timestamptz
     FROM locked
     ON CONFLICT (booking_id) DO NOTHING`,
    [
      ...refereeLockArgs(lesson.instructorId),
      lesson.bookingId,
      lesson.instructorId,
      lesson.studentId,
      lesson.priceCents,
      lesson.startsAt,
      lesson.completedAt,
    ],
  );
}

/**
 * Whether the instructor is a referee still waiting to go live or for a first lesson: only then
 * can a milestone move the referral. Read after the referee lock, in a later statement.
 */
export async function awaitsMilestone(tx: EntityManager, refereeId: string): Promise<boolean> {
  const rows = await tx.query<unknown[]>(
    `SELECT 1 FROM instructor_referrals
     WHERE referee_id = $1 AND status IN ('pending_live', 'pending_lesson')`,
    [refereeId],
  );
  return rows.length > 0;
}

/** A referee of the instructor program waiting for a milestone, as a run's prelude found it. */
export interface WaitingReferee {
  referrerId: string;
  status: 'pending_live' | 'pending_lesson';
  wentLive: boolean;
  /** Every lesson recorded for the referee, the run's own included (see LessonRun). */
  lessons: CompletedLesson[];
}

/**
 * Which of the instructors are referees waiting for a milestone (see awaitsMilestone), with what
 * decides whether a lesson moves them, in one read: after the run's locks and lessons.
 */
export async function waitingReferees(
  tx: EntityManager,
  instructorIds: readonly string[],
): Promise<Map<string, WaitingReferee>> {
  const rows = await tx.query<
    Array<
      Nullable<InstructorLessonRow> & {
        referee_id: string;
        referrer_id: string;
        status: WaitingReferee['status'];
        went_live: boolean;
      }
    >
  >(
    `SELECT r.referee_id, r.referrer_id, r.status, m.went_live_at IS NOT NULL AS went_live,
       l.booking_id, l.instructor_id, l.student_id, l.price_cents, l.starts_at, l.completed_at
     FROM instructor_referrals r
     LEFT JOIN instructor_milestones m ON m.instructor_id = r.referee_id
     LEFT JOIN instructor_lessons l ON l.instructor_id = r.referee_id
     WHERE r.referee_id = ANY($1::uuid[]) AND r.status IN ('pending_live', 'pending_lesson')
     ORDER BY r.referee_id, l.completed_at, l.booking_id`,
    [[...new Set(instructorIds)]],
  );
  const waiting = new Map<string, WaitingReferee>();
  for (const r of rows) {
    let referee = waiting.get(r.referee_id);
    if (referee === undefined) {
      referee = { referrerId: r.referrer_id, status: r.status, wentLive: r.went_live, lessons: [] };
      waiting.set(r.referee_id, referee);
    }
    if (r.booking_id !== null) referee.lessons.push(instructorLesson(r as InstructorLessonRow));
  }
  return waiting;
}

/**
 * The instructor's completed lessons, earliest first; in a run of lesson completions, without
 * the run's lessons not reached yet (see LessonRun).
 */
export async function readLessons(
  tx: EntityManager,
  instructorId: string,
  notReached?: ReadonlySet<string>,
): Promise<CompletedLesson[]> {
  const rows = await tx.query<InstructorLessonRow[]>(
    `SELECT booking_id, instructor_id, student_id, price_cents, starts_at, completed_at
     FROM instructor_lessons WHERE instructor_id = $1 ORDER BY completed_at, booking_id`,
    [instructorId],
  );
  return reachedLessons(rows.map(instructorLesson), notReached);
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

export interface InstructorLessonRow {
  booking_id: string;
  instructor_id: string;
  student_id: string | null;
  price_cents: number;
  starts_at: Date | null;
  completed_at: Date;
}

/** A row of instructor_lessons, ids as Postgres spells them (lower case), like the rules' other ids. */
export function instructorLesson(r: InstructorLessonRow): CompletedLesson {
  return {
    bookingId: r.booking_id,
    // Unknown only for lessons carried over from before the rule: no one's own student.
    studentId: r.student_id ?? '',
    instructorId: r.instructor_id,
    priceCents: r.price_cents,
    startsAt: r.starts_at,
    completedAt: r.completed_at,
  };
}

export async function readMilestones(
  tx: EntityManager,
  instructorId: string,
): Promise<InstructorMilestones> {
  const rows = await tx.query<Array<{ went_live_at: Date | null }>>(
    'SELECT went_live_at FROM instructor_milestones WHERE instructor_id = $1',
    [instructorId],
  );
  return { wentLiveAt: rows[0]?.went_live_at ?? null };
}
