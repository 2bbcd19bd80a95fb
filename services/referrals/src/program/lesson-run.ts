import { EntityManager } from 'typeorm';
import { refereeLockArgs } from '../instructor-program/lock-referee';
import { CompletedLesson } from './qualifying-lesson';

/**
 * Lessons a run of lesson completions recorded in its prelude, before any of its events was
 * handled. Handled one by one, each event would have found only the lessons of the events before
 * it and itself; so until its event is reached, a lesson this run inserted stays out of what the
 * programs read (`notReached`), and decisions come out as they would one event at a time (which
 * referee takes the last cap spot, which lesson is the first qualifying one).
 */
export class LessonRun {
  constructor(
    /** Booking ids this run inserted into instructor_lessons and has not reached yet. */
    readonly instructorLessonsNotReached: Set<string>,
    /** Booking ids this run inserted into student_lessons and has not reached yet. */
    readonly studentLessonsNotReached: Set<string>,
  ) {}

  /** The handler has reached the event of this lesson: from now on the programs see it. */
  reach(bookingId: string): void {
    const id = bookingId.toLowerCase();
    this.instructorLessonsNotReached.delete(id);
    this.studentLessonsNotReached.delete(id);
  }
}

/** A read of lessons without those a run has not reached yet (none outside a run). */
export function reachedLessons(
  lessons: CompletedLesson[],
  notReached: ReadonlySet<string> | undefined,
): CompletedLesson[] {
  if (notReached === undefined || notReached.size === 0) return lessons;
  return lessons.filter((l) => !notReached.has(l.bookingId.toLowerCase()));
}

/**
 * The run prelude's locks and writes: every instructor's and student's referee lock (see
 * lock-referee.ts) in one statement, in one sorted order so two runs cannot deadlock and one
 * student's or instructor's events stay serialized across partitions; then every lesson kept for
 * both programs in one more. Reads come after, in later statements, so they see what the
 * previous holder of a lock committed.
 */
export async function lockAndRecordLessonRun(
  tx: EntityManager,
  lessons: readonly CompletedLesson[],
): Promise<LessonRun> {
  const people = lessons.flatMap((l) => [l.instructorId, l.studentId]);
  const keys = [...new Set(people.map((id) => refereeLockArgs(id)[1]))].sort();
  await tx.query(
    `SELECT pg_advisory_xact_lock($1::int, hashtext(key))
     FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n) ORDER BY n`,
    [refereeLockArgs('')[0], keys],
  );
  // The first event of a booking is the one that records it, as one event at a time would.
  const firsts = new Map<string, CompletedLesson>();
  for (const l of lessons) {
    if (!firsts.has(l.bookingId.toLowerCase())) firsts.set(l.bookingId.toLowerCase(), l);
  }
  const kept = [...firsts.values()];
  const inserted = await tx.query<Array<{ program: 'instructor' | 'student'; booking_id: string }>>(
    `WITH run AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::integer[],
         $5::timestamptz[], $6::timestamptz[])
         AS l(booking_id, instructor_id, student_id, price_cents, starts_at, completed_at)
     ), instructor AS (
       INSERT INTO instructor_lessons (booking_id, instructor_id, student_id, price_cents,
         starts_at, completed_at)
       SELECT * FROM run ON CONFLICT (booking_id) DO NOTHING RETURNING booking_id
     ), student AS (
       INSERT INTO student_lessons (booking_id, instructor_id, student_id, price_cents, starts_at,
         completed_at)
       SELECT * FROM run ON CONFLICT (booking_id) DO NOTHING RETURNING booking_id
     )
     SELECT 'instructor' AS program, booking_id::text FROM instructor
     UNION ALL SELECT 'student', booking_id::text FROM student`,
    [
      kept.map((l) => l.bookingId),
      kept.map((l) => l.instructorId),
      kept.map((l) => l.studentId),
      kept.map((l) => l.priceCents),
      kept.map((l) => l.startsAt),
      kept.map((l) => l.completedAt),
    ],
  );
  const of = (program: 'instructor' | 'student') =>
    new Set(inserted.filter((r) => r.program === program).map((r) => r.booking_id));
  return new LessonRun(of('instructor'), of('student'));
}
