import { EntityManager } from 'typeorm';
import { OutboxRow } from '@rewards/messaging';
import { Booking } from './booking.entity';

/** The columns a new booking sets; the rest (completion, cancellation, refund) start null. */
const NEW_BOOKING_PARAMS = 16;

/**
 * Inserts a new booking and the event that reports it in one statement (plain SQL: TypeORM's
 * insert builder costs more CPU than the round trip). The event's row is selected from the
 * booking's insert, so a booking that fails (its quote booked already) writes no event either.
 */
export async function insertBookingWithEvent(
  tx: EntityManager,
  b: Booking,
  event: (firstParam: number) => OutboxRow,
): Promise<void> {
  const row = event(NEW_BOOKING_PARAMS + 1);
  await tx.query(
    `WITH booking AS (
       INSERT INTO bookings (id, student_id, instructor_id, starts_at, ends_at, price_cents,
         currency, status, confirmed_at, quote_id, benefit_kind, benefit_cents, platform_fee_cents,
         fee_rebate_cents, payment_intent_id, payment_fingerprint_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       RETURNING id),
     ${row.lockCte}
     ${row.insert('booking')}`,
    [
      b.id,
      b.studentId,
      b.instructorId,
      b.startsAt,
      b.endsAt,
      b.priceCents,
      b.currency,
      b.status,
      b.confirmedAt,
      b.quoteId,
      b.benefitKind,
      b.benefitCents,
      b.platformFeeCents,
      b.feeRebateCents,
      b.paymentIntentId,
      b.paymentFingerprintHash,
      ...row.params,
    ],
  );
}
