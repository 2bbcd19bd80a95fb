import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { ChargeAttemptState } from './charge-attempt.entity';

export interface NewChargeAttempt {
  bookingId: string;
  studentId: string;
  amountCents: number;
  currency: string;
  paymentMethodId: string;
}

/** Tries of one booking with one card after earlier ones were refunded or abandoned. */
const MAX_TRIES_PER_CARD = 20;

/**
 * The durable record of each card charge (charge_attempts), written on its own before Stripe is
 * called and settled when the booking commits, the card is declined or the charge is refunded.
 */
@Injectable()
export class ChargeAttempts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a charge about to be asked of Stripe and returns its id, the idempotency key of the
   * charge. The same booking and card again is the same attempt (Stripe replays its answer),
   * unless that one was refunded or abandoned: replaying it would answer a charge given back,
   * so the next try gets a key of its own.
   */
  async open(attempt: NewChargeAttempt): Promise<string> {
    const base = `booking-${attempt.bookingId}-${attempt.paymentMethodId}`;
    for (let n = 1; n <= MAX_TRIES_PER_CARD; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      const inserted = await this.dataSource.query<Array<{ id: string }>>(
        `INSERT INTO charge_attempts
           (id, booking_id, student_id, amount_cents, currency, state, created_at)
         VALUES ($1, $2, $3, $4, $5, 'charging', $6)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          id,
          attempt.bookingId,
          attempt.studentId,
          attempt.amountCents,
          attempt.currency,
          this.clock.now(),
        ],
      );
      if (inserted.length > 0) return id;
      const [existing] = await this.dataSource.query<Array<{ state: ChargeAttemptState }>>(
        'SELECT state FROM charge_attempts WHERE id = $1',
        [id],
      );
      if (existing && existing.state !== 'refunded' && existing.state !== 'abandoned') return id;
    }
    throw new Error(`booking ${attempt.bookingId}: too many charge attempts with one card`);
  }

  /**
   * In the booking's transaction: the charge now belongs to it. Refuses (rolling the booking
   * back) an attempt the reconciliation has meanwhile refunded or abandoned.
   */
  async markBooked(tx: EntityManager, id: string, paymentIntentId: string): Promise<void> {
    const [, affected] = await tx.query<[unknown, number]>(
      `UPDATE charge_attempts SET state = 'booked', payment_intent_id = $2, settled_at = $3
        WHERE id = $1 AND state IN ('charging', 'booked')`,
      [id, paymentIntentId, this.clock.now()],
    );
    if (affected !== 1) {
      throw new Error(`charge attempt ${id} was settled without its booking`);
    }
  }

  /** Keeps what Stripe answered, so the reconciliation need not search for it. */
  async recordIntent(id: string, paymentIntentId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE charge_attempts SET payment_intent_id = $2 WHERE id = $1 AND state = 'charging'`,
      [id, paymentIntentId],
    );
  }

  /** Settles an attempt still charging; true when this call settled it. */
  async settle(
    id: string,
    state: 'declined' | 'refunded' | 'abandoned',
    found: { paymentIntentId?: string; refundId?: string } = {},
    tx: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const [, affected] = await tx.query<[unknown, number]>(
      `UPDATE charge_attempts
          SET state = $2, payment_intent_id = COALESCE($3, payment_intent_id),
              refund_id = $4, settled_at = $5
        WHERE id = $1 AND state = 'charging'`,
      [id, state, found.paymentIntentId ?? null, found.refundId ?? null, this.clock.now()],
    );
    return affected === 1;
  }
}
