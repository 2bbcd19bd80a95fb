import { Column, Entity, PrimaryColumn } from 'typeorm';
import { BenefitKind } from '../bookings/booking.entity';

/** A signed price for one lesson draft: what confirming it will charge, until it expires. */
@Entity({ name: 'checkout_quotes' })
export class CheckoutQuote {
  @PrimaryColumn('uuid')
  id!: string;

  /** The id the booking gets when the quote is confirmed: retries confirm the same booking. */
  @Column('uuid', { name: 'booking_id' })
  bookingId!: string;

  @Column('uuid', { name: 'student_id' })
  studentId!: string;

  @Column('uuid', { name: 'instructor_id' })
  instructorId!: string;

  @Column('timestamptz', { name: 'starts_at' })
  startsAt!: Date;

  @Column('timestamptz', { name: 'ends_at' })
  endsAt!: Date;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('integer', { name: 'list_price_cents' })
  listPriceCents!: number;

  @Column('text', { name: 'benefit_kind' })
  benefitKind!: BenefitKind;

  @Column('integer', { name: 'benefit_cents' })
  benefitCents!: number;

  @Column('text', { name: 'benefit_reason' })
  benefitReason!: string;

  @Column('integer', { name: 'total_cents' })
  totalCents!: number;

  /** Before the instructor's rebate. */
  @Column('integer', { name: 'platform_fee_cents' })
  platformFeeCents!: number;

  @Column('integer', { name: 'fee_rebate_cents' })
  feeRebateCents!: number;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('text')
  signature!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

/** The wallet reservation of a quote: its idempotency key on every wallet call. */
export const reservationReference = (quoteId: string): string => `quote-${quoteId}`;

/** Whether confirming the quote moves wallet money (credit or an instructor's rebate). */
export function holdsWalletFunds(q: CheckoutQuote): boolean {
  return (q.benefitKind === 'wallet_credit' && q.benefitCents > 0) || q.feeRebateCents > 0;
}

export interface QuoteView {
  id: string;
  instructorId: string;
  startsAt: string;
  endsAt: string;
  listPrice: { amountCents: number; currency: string };
  benefit: { kind: BenefitKind; amount: { amountCents: number; currency: string }; reason: string };
  total: { amountCents: number; currency: string };
  /** What the platform keeps from the instructor, after their fee rebate. */
  platformFee: {
    amount: { amountCents: number; currency: string };
    beforeRebate: { amountCents: number; currency: string };
    rebate: { amountCents: number; currency: string };
  };
  expiresAt: string;
  /** Send back with the booking: proves the quote is the server's, unaltered. */
  signature: string;
}

export function quoteView(q: CheckoutQuote): QuoteView {
  const money = (amountCents: number) => ({ amountCents, currency: q.currency.trim() });
  return {
    id: q.id,
    instructorId: q.instructorId,
    startsAt: q.startsAt.toISOString(),
    endsAt: q.endsAt.toISOString(),
    listPrice: money(q.listPriceCents),
    benefit: { kind: q.benefitKind, amount: money(q.benefitCents), reason: q.benefitReason },
    total: money(q.totalCents),
    platformFee: {
      amount: money(q.platformFeeCents - q.feeRebateCents),
      beforeRebate: money(q.platformFeeCents),
      rebate: money(q.feeRebateCents),
    },
    expiresAt: q.expiresAt.toISOString(),
    signature: q.signature,
  };
}
