import { Column, Entity, PrimaryColumn } from 'typeorm';

export type BookingStatus = 'confirmed' | 'cancelled' | 'completed';

export type BenefitKind = 'referee_discount' | 'wallet_credit' | 'none';

@Entity({ name: 'bookings' })
export class Booking {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'student_id' })
  studentId!: string;

  @Column('uuid', { name: 'instructor_id' })
  instructorId!: string;

  @Column('timestamptz', { name: 'starts_at' })
  startsAt!: Date;

  @Column('timestamptz', { name: 'ends_at' })
  endsAt!: Date;

  @Column('integer', { name: 'price_cents' })
  priceCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  status!: BookingStatus;

  @Column('timestamptz', { name: 'confirmed_at' })
  confirmedAt!: Date;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt!: Date | null;

  @Column('text', { name: 'completed_by', nullable: true })
  completedBy!: 'instructor' | 'system' | null;

  /** The checkout quote it was confirmed with; null when booked at list price. */
  @Column('uuid', { name: 'quote_id', nullable: true })
  quoteId!: string | null;

  @Column('text', { name: 'benefit_kind' })
  benefitKind!: BenefitKind;

  /** Taken off the list price (`priceCents`); the student paid the rest. */
  @Column('integer', { name: 'benefit_cents' })
  benefitCents!: number;

  /** The platform's fee on the lesson before the instructor's rebate; null on old bookings. */
  @Column('integer', { name: 'platform_fee_cents', nullable: true })
  platformFeeCents!: number | null;

  @Column('integer', { name: 'fee_rebate_cents' })
  feeRebateCents!: number;

  @Column('timestamptz', { name: 'cancelled_at', nullable: true })
  cancelledAt!: Date | null;

  @Column('text', { name: 'cancelled_by', nullable: true })
  cancelledBy!: 'student' | 'instructor' | null;

  /** The Stripe PaymentIntent that charged the student's card; null when nothing was due. */
  @Column('text', { name: 'payment_intent_id', nullable: true })
  paymentIntentId!: string | null;

  /** Keyed hash (attributionHash, kind card) of the card's Stripe fingerprint. */
  @Column('char', { name: 'payment_fingerprint_hash', length: 64, nullable: true })
  paymentFingerprintHash!: string | null;

  /** The Stripe refund that gave the charge back. */
  @Column('text', { name: 'payment_refund_id', nullable: true })
  paymentRefundId!: string | null;
}
