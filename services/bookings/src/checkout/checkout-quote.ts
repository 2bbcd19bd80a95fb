import { BenefitKind } from '../bookings/booking.entity';

/**
 * What a quote fixes for the booking made from it, all of it carried by the quote's signature
 * (quote-signature.ts): no table holds quotes.
 */
export interface QuoteTerms {
  id: string;
  /** The id the booking gets when the quote is confirmed: retries confirm the same booking. */
  bookingId: string;
  studentId: string;
  instructorId: string;
  startsAt: Date;
  endsAt: Date;
  currency: string;
  listPriceCents: number;
  benefitKind: BenefitKind;
  benefitCents: number;
  totalCents: number;
  /** Before the instructor's rebate. */
  platformFeeCents: number;
  feeRebateCents: number;
  expiresAt: Date;
  createdAt: Date;
}

/** A signed price for one lesson draft: what confirming it will charge, until it expires. */
export interface CheckoutQuote extends QuoteTerms {
  /** Shown to the student only: the booking does not keep it. */
  benefitReason: string;
  signature: string;
}

/** The wallet reservation of a quote: its idempotency key on every wallet call. */
export const reservationReference = (quoteId: string): string => `quote-${quoteId}`;

/** Whether confirming the quote moves wallet money (credit or an instructor's rebate). */
export function holdsWalletFunds(q: QuoteTerms): boolean {
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
