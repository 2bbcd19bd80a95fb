import { Currency } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
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
export function checkLessonTimes(
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

/** An accounts row as Postgres answers it. */
export interface AccountRow {
  id: string;
  role: Account['role'];
  email: string;
  display_name: string;
  referral_code: string | null;
  phone: string | null;
  email_verified: boolean;
  phone_verified: boolean;
  stripe_account_id: string | null;
  live_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const ACCOUNT_COLUMNS = `a.id, a.role, a.email, a.display_name, a.referral_code, a.phone,
  a.email_verified, a.phone_verified, a.stripe_account_id, a.live_at, a.created_at, a.updated_at`;

export function accountFromRow(row: AccountRow): Account {
  return Object.assign(new Account(), {
    id: row.id,
    role: row.role,
    email: row.email,
    displayName: row.display_name,
    referralCode: row.referral_code,
    phone: row.phone,
    emailVerified: row.email_verified,
    phoneVerified: row.phone_verified,
    stripeAccountId: row.stripe_account_id,
    liveAt: row.live_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

/** The draft's student and a live instructor among `accounts`, or the refusal of the draft. */
export function checkDraftAccounts(
  accounts: readonly Account[],
  studentId: string,
  draft: Pick<LessonDraft, 'instructorId'>,
): { student: Account; instructor: Account } {
  const student = accounts.find((a) => a.id === studentId);
  if (!student) throw new BookingsError('ACCOUNT_NOT_FOUND', 'register before booking');
  const instructor = accounts.find((a) => a.id === draft.instructorId);
  if (!instructor || instructor.role !== 'instructor') {
    throw new BookingsError('ACCOUNT_NOT_FOUND', 'no such instructor');
  }
  if (!instructor.liveAt) {
    throw new BookingsError('INSTRUCTOR_NOT_LIVE', 'this instructor is not taking bookings yet');
  }
  return { student, instructor };
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
  // Both accounts in one round trip, in plain SQL: this runs on every quote and every booking.
  const rows = await tx.query<AccountRow[]>(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ANY($1::uuid[])`,
    [[studentId, draft.instructorId]],
  );
  return { ...checkDraftAccounts(rows.map(accountFromRow), studentId, draft), ...times };
}
