import { CompletedLesson } from '../program/qualifying-lesson';
import { EntityManager } from 'typeorm';
import { refereeLockArgs } from './lock-referee';

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

/**
 * The run prelude's half of lockRefereeAndRecordLesson: every lesson's referee lock, taken in
 * one order (so two runs cannot deadlock), then every lesson kept, in two statements.
 */
export async function lockRefereesAndRecordLessons(
  tx: EntityManager,
  lessons: readonly CompletedLesson[],
): Promise<void> {
  const keys = [...new Set(lessons.map((l) => refereeLockArgs(l.instructorId)[1]))].sort();
  await tx.query(
    `SELECT pg_advisory_xact_lock($1::int, hashtext(key))
     FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n) ORDER BY n`,
    [refereeLockArgs('')[0], keys],
  );
  await tx.query(
    `INSERT INTO instructor_lessons (booking_id, instructor_id, student_id, price_cents, starts_at,
       completed_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::integer[], $5::timestamptz[],
       $6::timestamptz[])
     ON CONFLICT (booking_id) DO NOTHING`,
    [
      lessons.map((l) => l.bookingId),
      lessons.map((l) => l.instructorId),
      lessons.map((l) => l.studentId),
      lessons.map((l) => l.priceCents),
      lessons.map((l) => l.startsAt),
      lessons.map((l) => l.completedAt),
    ],
  );
}

/** Which of the instructors are referees waiting for a milestone (see awaitsMilestone). */
export async function awaitingMilestone(
  tx: EntityManager,
  refereeIds: readonly string[],
): Promise<Set<string>> {
  const rows = await tx.query<Array<{ referee_id: string }>>(
    `SELECT referee_id FROM instructor_referrals
     WHERE referee_id = ANY($1::uuid[]) AND status IN ('pending_live', 'pending_lesson')`,
    [[...new Set(refereeIds)]],
  );
  return new Set(rows.map((r) => r.referee_id));
}

/** The instructor's completed lessons, earliest first. */
export async function readLessons(
  tx: EntityManager,
  instructorId: string,
): Promise<CompletedLesson[]> {
  const rows = await tx.query<
    Array<{
      booking_id: string;
      student_id: string | null;
      price_cents: number;
      starts_at: Date | null;
      completed_at: Date;
    }>
  >(
    `SELECT booking_id, student_id, price_cents, starts_at, completed_at FROM instructor_lessons
     WHERE instructor_id = $1 ORDER BY completed_at, booking_id`,
    [instructorId],
  );
  return rows.map((r) => ({
    bookingId: r.booking_id,
    // Unknown only for lessons carried over from before the rule: no one's own student.
    studentId: r.student_id ?? '',
    instructorId,
    priceCents: r.price_cents,
    startsAt: r.starts_at,
    completedAt: r.completed_at,
  }));
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
