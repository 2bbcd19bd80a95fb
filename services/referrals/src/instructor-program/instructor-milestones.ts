import { EntityManager } from 'typeorm';

export interface InstructorMilestones {
  wentLiveAt: Date | null;
  firstLessonBookingId: string | null;
  firstLessonAt: Date | null;
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

/** Keeps the earliest completed lesson; bookings only books live instructors, so it is after going live. */
export async function recordLessonCompleted(
  tx: EntityManager,
  instructorId: string,
  bookingId: string,
  at: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO instructor_milestones (instructor_id, first_lesson_booking_id, first_lesson_at)
     VALUES ($1, $2, $3)
     ON CONFLICT (instructor_id) DO UPDATE SET
       first_lesson_booking_id = CASE
         WHEN instructor_milestones.first_lesson_at IS NULL
           OR EXCLUDED.first_lesson_at < instructor_milestones.first_lesson_at
         THEN EXCLUDED.first_lesson_booking_id ELSE instructor_milestones.first_lesson_booking_id END,
       first_lesson_at = LEAST(instructor_milestones.first_lesson_at, EXCLUDED.first_lesson_at)`,
    [instructorId, bookingId, at],
  );
}

export async function readMilestones(
  tx: EntityManager,
  instructorId: string,
): Promise<InstructorMilestones> {
  const rows = await tx.query<
    Array<{
      went_live_at: Date | null;
      first_lesson_booking_id: string | null;
      first_lesson_at: Date | null;
    }>
  >(
    'SELECT went_live_at, first_lesson_booking_id, first_lesson_at FROM instructor_milestones WHERE instructor_id = $1',
    [instructorId],
  );
  const row = rows[0];
  return {
    wentLiveAt: row?.went_live_at ?? null,
    firstLessonBookingId: row?.first_lesson_booking_id ?? null,
    firstLessonAt: row?.first_lesson_at ?? null,
  };
}
