import { Injectable } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxEvent, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { toSafeInteger } from '../ledger/ledger-posting.entity';
import { CreditReservation } from './credit-reservation';

/** A capture claimed for announcing: its reservation and when the capture was posted. */
interface ClaimedCapture {
  reference: string;
  booking_id: string;
  student_id: string;
  credit_cents: string;
  instructor_id: string | null;
  fee_rebate_cents: string;
  currency: string;
  capture_transaction_id: string;
  captured_at: Date;
}

/**
 * Tells checkout's spending as wallet-debited events, once per capture: the student's credit and
 * the instructor's fee rebate each a debit of its owner's wallet, with the booking as source.
 *
 * Checkout captures outside any event (one statement on its hot path), so the capture is
 * announced by whichever comes first of two durable steps under the reservation's row lock: the
 * wallet's handling of the booking's booking-confirmed (every capture has one, committed with the
 * booking before the capture is asked), or a refund, which tells the debit before the credit it
 * gives back, so one owner's events keep the order of their facts. The claim (debit_announced_at
 * set where unset) and the events commit together, so each capture is told exactly once.
 */
@Injectable()
export class AnnounceCaptures {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  /**
   * Announces the captured (or refunded) ones of `reservations` not announced yet; the caller
   * holds their row locks. Answers the events to write, for the caller to write with its own
   * (wallet-credited after, say) in one statement; `announce` writes them itself.
   */
  async claim(tx: EntityManager, reservations: CreditReservation[]): Promise<OutboxEvent[]> {
    const references = reservations
      .filter(
        (r) =>
          (r.status === 'captured' || r.status === 'refunded') &&
          r.captureTransactionId !== null &&
          r.debitAnnouncedAt === null,
      )
      .map((r) => r.reference);
    if (references.length === 0) return [];
    const claimed = await tx.query<ClaimedCapture[]>(
      `WITH claimed AS (
         UPDATE credit_reservations c
            SET debit_announced_at = $2
           FROM ledger_transactions t
          WHERE c.reference = ANY($1::text[]) AND c.debit_announced_at IS NULL
            AND c.status IN ('captured', 'refunded') AND t.id = c.capture_transaction_id
         RETURNING c.reference, c.booking_id, c.student_id, c.credit_cents::text AS credit_cents,
                   c.instructor_id, c.fee_rebate_cents::text AS fee_rebate_cents, c.currency,
                   c.capture_transaction_id, t.occurred_at AS captured_at
       )
       SELECT * FROM claimed`,
      [references, this.clock.now()],
    );
    const order = new Map(references.map((reference, i) => [reference, i]));
    claimed.sort((a, b) => (order.get(a.reference) ?? 0) - (order.get(b.reference) ?? 0));
    return claimed.flatMap(debitsOf);
  }

  /** claim, then its events written. */
  async announce(tx: EntityManager, reservations: CreditReservation[]): Promise<void> {
    await this.outbox.addMany(tx, await this.claim(tx, reservations));
  }
}

/** The wallet-debited events of one capture: the student's credit, the instructor's rebate. */
function debitsOf(c: ClaimedCapture): OutboxEvent[] {
  const currency = c.currency.trim() as Currency;
  const debit = (
    ownerId: string,
    amountCents: number,
  ): OutboxEvent<typeof Topics.WalletDebited> => ({
    topic: Topics.WalletDebited,
    key: ownerId,
    payload: {
      transactionId: c.capture_transaction_id,
      ownerId,
      amount: { amountCents, currency },
      sourceId: c.booking_id,
      debitedAt: c.captured_at.toISOString(),
    },
    context: { occurredAt: c.captured_at },
  });
  const events: OutboxEvent[] = [];
  const credit = toSafeInteger(c.credit_cents);
  const rebate = toSafeInteger(c.fee_rebate_cents);
  if (credit > 0) events.push(debit(c.student_id, credit));
  if (rebate > 0 && c.instructor_id !== null) events.push(debit(c.instructor_id, rebate));
  return events;
}
