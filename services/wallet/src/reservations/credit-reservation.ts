import { Injectable } from '@nestjs/common';
import { Currency } from '@rewards/contracts';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { AccountRow, accountFromRow, accountKeyOf } from '../ledger/ledger-accounts';
import { toSafeInteger } from '../ledger/ledger-posting.entity';

type ReservationStatus = 'held' | 'captured' | 'released' | 'refunded';

/**
 * A reservation nothing can move any more: refunded, or captured with the capture announced. A
 * row that is not may still be written (captured, returned, or its capture announced), so its
 * lockers lock it. A row read as settled stays so, its locker or not.
 */
const SETTLED = `(status = 'refunded' OR (status = 'captured' AND debit_announced_at IS NOT NULL))`;

/** Why a hold went back: the booking was not confirmed, its hold lapsed, or it was cancelled. */
export type ReturnReason = 'not_confirmed' | 'expired' | 'booking_cancelled';

/** What one checkout holds of a student's credit and an instructor's fee rebate. */
export interface CreditReservation {
  reference: string;
  bookingId: string;
  studentId: string;
  creditCents: number;
  instructorId: string | null;
  feeRebateCents: number;
  currency: Currency;
  status: ReservationStatus;
  expiresAt: Date;
  reserveTransactionId: string;
  captureTransactionId: string | null;
  returnTransactionId: string | null;
  releaseReason: ReturnReason | null;
  creditShortfallCents: number;
  feeRebateShortfallCents: number;
  /** When its capture was told as wallet-debited events (AnnounceCaptures); null until then. */
  debitAnnouncedAt: Date | null;
}

/** The reservation as the internal API answers it. */
export interface ReservationView {
  reference: string;
  bookingId: string;
  status: ReservationStatus;
  credit: { amountCents: number; currency: string };
  feeRebate: { amountCents: number; currency: string };
  expiresAt: string;
  releaseReason: ReturnReason | null;
}

export function reservationView(r: CreditReservation): ReservationView {
  return {
    reference: r.reference,
    bookingId: r.bookingId,
    status: r.status,
    credit: { amountCents: r.creditCents, currency: r.currency },
    feeRebate: { amountCents: r.feeRebateCents, currency: r.currency },
    expiresAt: r.expiresAt.toISOString(),
    releaseReason: r.releaseReason,
  };
}

export interface ReservationRow {
  reference: string;
  booking_id: string;
  student_id: string;
  credit_cents: string;
  instructor_id: string | null;
  fee_rebate_cents: string;
  currency: string;
  status: ReservationStatus;
  expires_at: Date;
  reserve_transaction_id: string;
  capture_transaction_id: string | null;
  return_transaction_id: string | null;
  release_reason: ReturnReason | null;
  credit_shortfall_cents: string;
  fee_rebate_shortfall_cents: string;
  debit_announced_at: Date | null;
}

export function fromRow(r: ReservationRow): CreditReservation {
  return {
    reference: r.reference,
    bookingId: r.booking_id,
    studentId: r.student_id,
    creditCents: toSafeInteger(r.credit_cents),
    instructorId: r.instructor_id,
    feeRebateCents: toSafeInteger(r.fee_rebate_cents),
    currency: r.currency.trim() as Currency,
    status: r.status,
    expiresAt: r.expires_at,
    reserveTransactionId: r.reserve_transaction_id,
    captureTransactionId: r.capture_transaction_id,
    returnTransactionId: r.return_transaction_id,
    releaseReason: r.release_reason,
    creditShortfallCents: toSafeInteger(r.credit_shortfall_cents),
    feeRebateShortfallCents: toSafeInteger(r.fee_rebate_shortfall_cents),
    debitAnnouncedAt: r.debit_announced_at,
  };
}

export type NewReservation = Omit<
  CreditReservation,
  | 'status'
  | 'captureTransactionId'
  | 'returnTransactionId'
  | 'releaseReason'
  | 'creditShortfallCents'
  | 'feeRebateShortfallCents'
  | 'debitAnnouncedAt'
>;

/** Rows of credit_reservations; each use case locks the row before it moves money. */
@Injectable()
export class CreditReservations {
  constructor(private readonly clock: Clock) {}

  async lock(tx: EntityManager, reference: string): Promise<CreditReservation | null> {
    const [row] = await tx.query<ReservationRow[]>(
      'SELECT * FROM credit_reservations WHERE reference = $1 FOR UPDATE',
      [reference],
    );
    return row ? fromRow(row) : null;
  }

  /**
   * Locks the reservation and, while it is held, the reserved accounts it holds money in (in id
   * order, after the reservation, as every locker of both takes them), with their balances: one
   * statement for what a capture or a return of a hold must lock.
   */
  async lockWithHolds(
    tx: EntityManager,
    reference: string,
  ): Promise<{ reservation: CreditReservation; holds: Map<string, LedgerAccount> } | null> {
    const [row] = await tx.query<Array<ReservationRow & { holds: AccountRow[] }>>(
      `WITH r AS MATERIALIZED (
         SELECT * FROM credit_reservations WHERE reference = $1 FOR UPDATE
       ), holds AS MATERIALIZED (
         SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents::text
           FROM ledger_accounts a
           JOIN r ON (a.owner_id = r.student_id AND r.credit_cents > 0)
                  OR (a.owner_id = r.instructor_id AND r.fee_rebate_cents > 0)
          WHERE r.status = 'held' AND a.kind = 'user_reserved' AND a.currency = r.currency
          ORDER BY a.id
            FOR UPDATE OF a
       )
       SELECT r.*, (SELECT coalesce(jsonb_agg(holds), '[]') FROM holds) AS holds FROM r`,
      [reference],
    );
    if (!row) return null;
    const holds = row.holds.map(accountFromRow);
    return {
      reservation: fromRow(row),
      holds: new Map(holds.map((a) => [accountKeyOf(a), a])),
    };
  }

  /**
   * The reservations of the bookings, in one statement: those a capture or a return could still
   * move, or whose capture is still to be announced, locked in reference order (the order any two
   * lockers of several take them in); the others (refunded, or captured and announced) only
   * read, as nothing is left to do for them under a lock (a row lock is a write). A row found
   * open is answered as it is once locked.
   */
  lockOfBookings(tx: EntityManager, bookingIds: string[]): Promise<CreditReservation[]> {
    return this.lockMany(tx, 'booking_id = ANY($1::uuid[])', bookingIds);
  }

  /** Like lockOfBookings, for the reservations of these references (those that exist). */
  lockOfReferences(tx: EntityManager, references: string[]): Promise<CreditReservation[]> {
    return this.lockMany(tx, 'reference = ANY($1::text[])', references);
  }

  private async lockMany(
    tx: EntityManager,
    where: 'booking_id = ANY($1::uuid[])' | 'reference = ANY($1::text[])',
    keys: string[],
  ): Promise<CreditReservation[]> {
    if (keys.length === 0) return [];
    const rows = await tx.query<ReservationRow[]>(
      `WITH found AS MATERIALIZED (
         SELECT * FROM credit_reservations WHERE ${where}
       ), open AS MATERIALIZED (
         SELECT c.* FROM credit_reservations c
          WHERE c.reference IN (SELECT reference FROM found WHERE NOT (${SETTLED}))
          ORDER BY c.reference
            FOR UPDATE OF c
       )
       SELECT * FROM open
       UNION ALL
       SELECT * FROM found WHERE ${SETTLED}
       ORDER BY reference`,
      [[...new Set(keys)]],
    );
    return rows.map(fromRow);
  }

  async ofBooking(tx: EntityManager, bookingId: string): Promise<string[]> {
    const rows = await tx.query<Array<{ reference: string }>>(
      'SELECT reference FROM credit_reservations WHERE booking_id = $1 ORDER BY reference',
      [bookingId],
    );
    return rows.map((r) => r.reference);
  }

  /** Held reservations whose hold lapsed at `now`, oldest first. */
  async due(tx: EntityManager, now: Date, limit: number): Promise<string[]> {
    const rows = await tx.query<Array<{ reference: string }>>(
      `SELECT reference FROM credit_reservations
        WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.reference);
  }

  /** Writes a held reservation and returns it as stored. */
  async insert(tx: EntityManager, r: NewReservation): Promise<CreditReservation> {
    const now = this.clock.now();
    const [row] = await tx.query<ReservationRow[]>(
      `INSERT INTO credit_reservations (reference, booking_id, student_id, credit_cents,
         instructor_id, fee_rebate_cents, currency, status, expires_at, reserve_transaction_id,
         created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'held', $8, $9, $10, $10)
       RETURNING *`,
      [
        r.reference,
        r.bookingId,
        r.studentId,
        r.creditCents,
        r.instructorId,
        r.feeRebateCents,
        r.currency,
        r.expiresAt,
        r.reserveTransactionId,
        now,
      ],
    );
    return fromRow(row);
  }

  async markCaptured(
    tx: EntityManager,
    reference: string,
    transactionId: string,
    shortfall: { creditCents: number; feeRebateCents: number },
  ): Promise<void> {
    await tx.query(
      `UPDATE credit_reservations
          SET status = 'captured', capture_transaction_id = $2, credit_shortfall_cents = $3,
              fee_rebate_shortfall_cents = $4, updated_at = $5
        WHERE reference = $1`,
      [reference, transactionId, shortfall.creditCents, shortfall.feeRebateCents, this.clock.now()],
    );
  }

  async markReturned(
    tx: EntityManager,
    reference: string,
    status: 'released' | 'refunded',
    transactionId: string,
    reason: ReturnReason,
  ): Promise<void> {
    await tx.query(
      `UPDATE credit_reservations
          SET status = $2, return_transaction_id = $3, release_reason = $4, updated_at = $5
        WHERE reference = $1`,
      [reference, status, transactionId, reason, this.clock.now()],
    );
  }
}
