import { Injectable } from '@nestjs/common';
import { RefereeDiscount } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { ACCOUNT_COLUMNS, AccountRow, accountFromRow } from '../bookings/lesson-draft';
import { DiscountStanding } from './choose-benefit';

interface DiscountRow {
  amount_cents: number;
  minimum_lesson_cents: number;
  currency: string;
}

/** A discount's columns beside an account with none: all null. */
type NullableDiscountRow = { [K in keyof DiscountRow]: DiscountRow[K] | null };

/**
 * The student-program referee discounts bookings learnt from referral-attributed. A discount is
 * for the student's first lesson at or above its minimum: it is gone once such a lesson is booked
 * and not cancelled (cancelling gives it back).
 */
@Injectable()
export class RefereeDiscounts {
  async record(
    tx: EntityManager,
    a: { studentId: string; referrerId: string; attributionId: string; attributedAt: Date },
    discount: RefereeDiscount,
    now: Date,
  ): Promise<void> {
    // An attribution is immutable: the first one recorded stands.
    await tx.query(
      `INSERT INTO referee_discounts (student_id, referrer_id, attribution_id, amount_cents,
         minimum_lesson_cents, currency, attributed_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (student_id) DO NOTHING`,
      [
        a.studentId,
        a.referrerId,
        a.attributionId,
        discount.amount.amountCents,
        discount.minimumLessonPrice.amountCents,
        discount.amount.currency,
        a.attributedAt,
        now,
      ],
    );
  }

  /**
   * What a quote reads of bookings' own tables, in one statement and without a lock: the
   * draft's two accounts, and where the student's discount stands (`verified` comes from the
   * student's account). The confirmation re-checks the discount under a lock.
   */
  async quoteReads(
    tx: EntityManager,
    studentId: string,
    instructorId: string,
    currency: string,
  ): Promise<{ accounts: Account[]; standing: Omit<DiscountStanding, 'verified'> | null }> {
    const rows = await tx.query<Array<AccountRow & NullableDiscountRow & { taken: boolean }>>(
      `SELECT ${ACCOUNT_COLUMNS}, d.amount_cents, d.minimum_lesson_cents, d.currency,
              EXISTS (SELECT 1 FROM bookings b
                       WHERE b.student_id = d.student_id AND b.status <> 'cancelled'
                         AND b.price_cents >= d.minimum_lesson_cents) AS taken
         FROM accounts a LEFT JOIN referee_discounts d ON d.student_id = a.id AND a.id = $1
        WHERE a.id IN ($1, $2)`,
      // Two parameters, not an array: with an array of unknown length Postgres finds its
      // cached generic plan dearer than a fresh one and plans this statement on every call.
      [studentId, instructorId],
    );
    const d = rows.find((r) => r.id === studentId);
    return {
      accounts: rows.map(accountFromRow),
      standing:
        d !== undefined &&
        d.amount_cents !== null &&
        d.minimum_lesson_cents !== null &&
        d.currency?.trim() === currency
          ? {
              amountCents: d.amount_cents,
              minimumLessonCents: d.minimum_lesson_cents,
              firstLessonTaken: d.taken,
            }
          : null,
    };
  }

  /**
   * Where the student's discount stands for a lesson in `currency`, `verified` read from their
   * account in the same statement; with `lock`, holds the discount until the transaction ends so
   * two first lessons cannot both take it.
   */
  async standing(
    tx: EntityManager,
    studentId: string,
    currency: string,
    lock: boolean,
  ): Promise<DiscountStanding | null> {
    const [row] = await tx.query<Array<DiscountRow & { verified: boolean }>>(
      `SELECT d.amount_cents, d.minimum_lesson_cents, d.currency,
              a.email_verified AND a.phone_verified AS verified
         FROM referee_discounts d JOIN accounts a ON a.id = d.student_id
        WHERE d.student_id = $1${lock ? ' FOR UPDATE OF d' : ''}`,
      [studentId],
    );
    if (!row || row.currency.trim() !== currency.trim()) return null;
    const taken = await tx.query<unknown[]>(
      `SELECT 1 FROM bookings
        WHERE student_id = $1 AND status <> 'cancelled' AND price_cents >= $2 LIMIT 1`,
      [studentId, row.minimum_lesson_cents],
    );
    return {
      amountCents: row.amount_cents,
      minimumLessonCents: row.minimum_lesson_cents,
      verified: row.verified,
      firstLessonTaken: taken.length > 0,
    };
  }
}
