import { Currency } from '@rewards/contracts';
import { EntityManager, In } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { BookingsError } from '../bookings-error';

/** What a student asks to book, before a price is quoted or a booking made. */
export interface LessonDraft {
  instructorId: string;
  startsAt: string;
  endsAt: string;
  priceCents: number;
  currency: Currency;
}

export interface CheckedDraft {
  student: Account;
  instructor: Account;
  startsAt: Date;
  endsAt: Date;
}

/** Refuses a lesson that is too long, ends before it starts, or starts in the past. */
function checkLessonTimes(
  draft: Pick<LessonDraft, 'startsAt' | 'endsAt'>,
  now: Date,
  maxMinutes: number,
): { startsAt: Date; endsAt: Date } {
  const startsAt = new Date(draft.startsAt);
  const endsAt = new Date(draft.endsAt);
  const minutes = (endsAt.getTime() - startsAt.getTime()) / 60_000;
  if (minutes <= 0 || minutes > maxMinutes) {
    throw new BookingsError(
      'INVALID_LESSON_TIME',
      `a lesson must end after it starts and last at most ${maxMinutes} minutes`,
    );
  }
  if (startsAt.getTime() < now.getTime()) {
    throw new BookingsError('INVALID_LESSON_TIME', 'a lesson cannot start in the past');
  }
  return { startsAt, endsAt };
}

/** A bookable draft: sane times, a registered student, a live instructor. */
export async function checkLessonDraft(
  tx: EntityManager,
  studentId: string,
  draft: LessonDraft,
  now: Date,
  maxMinutes: number,
): Promise<CheckedDraft> {
  const times = checkLessonTimes(draft, now, maxMinutes);
  // Both accounts in one round trip: this runs on every quote and every booking.
  const accounts = await tx.findBy(Account, { id: In([studentId, draft.instructorId]) });
  const student = accounts.find((a) => a.id === studentId);
  if (!student) throw new BookingsError('ACCOUNT_NOT_FOUND', 'register before booking');
  const instructor = accounts.find((a) => a.id === draft.instructorId);
  if (!instructor || instructor.role !== 'instructor') {
    throw new BookingsError('ACCOUNT_NOT_FOUND', 'no such instructor');
  }
  if (!instructor.liveAt) {
    throw new BookingsError('INSTRUCTOR_NOT_LIVE', 'this instructor is not taking bookings yet');
  }
  return { student, instructor, ...times };
}
