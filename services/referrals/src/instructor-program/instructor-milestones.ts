import { CompletedLesson } from '../program/qualifying-lesson';
import { EntityManager } from 'typeorm';

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

/** Keeps a completed lesson; which one qualifies is decided once the referrer is known. */
export async function recordLessonCompleted(
  tx: EntityManager,
  lesson: CompletedLesson,
): Promise<void> {
  await tx.query(
    `INSERT INTO instructor_lessons (booking_id, instructor_id, student_id, price_cents, starts_at,
       completed_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (booking_id) DO NOTHING`,
    [
      lesson.bookingId,
      lesson.instructorId,
      lesson.studentId,
      lesson.priceCents,
      lesson.startsAt,
      lesson.completedAt,
    ],
  );
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
