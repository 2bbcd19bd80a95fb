import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ChargeAttemptState = 'charging' | 'booked' | 'declined' | 'refunded' | 'abandoned';

/**
 * One card charge asked of Stripe for a booking, recorded (and committed) before the call:
 * 'charging' until the booking commits with it ('booked'), the card is declined, or the charge
 * is refunded for want of a booking ('refunded'); 'abandoned' when Stripe never made it.
 */
@Entity({ name: 'charge_attempts' })
export class ChargeAttempt {
  /** The charge's idempotency key at Stripe, also sent as metadata `charge_attempt_id`. */
  @PrimaryColumn('text')
  id!: string;

  @Column('uuid', { name: 'booking_id' })
  bookingId!: string;

  @Column('uuid', { name: 'student_id' })
  studentId!: string;

  @Column('integer', { name: 'amount_cents' })
  amountCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  state!: ChargeAttemptState;

  /** Known once Stripe answered (or the reconciliation found it). */
  @Column('text', { name: 'payment_intent_id', nullable: true })
  paymentIntentId!: string | null;

  @Column('text', { name: 'refund_id', nullable: true })
  refundId!: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'settled_at', nullable: true })
  settledAt!: Date | null;
}
