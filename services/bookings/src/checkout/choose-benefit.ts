import { BenefitKind } from '../bookings/booking.entity';

/** The referee's first-lesson discount as it stands for this student and lesson. */
export interface DiscountStanding {
  amountCents: number;
  minimumLessonCents: number;
  /** Email and phone verified: required before any referral benefit applies. */
  verified: boolean;
  /** The student already has a (not cancelled) lesson at or above the minimum. */
  firstLessonTaken: boolean;
}

export interface BenefitChoice {
  kind: BenefitKind;
  amountCents: number;
  /** Why this benefit won, for the student to read. */
  reason: string;
}

const dollars = (cents: number): string => `$${(cents / 100).toFixed(cents % 100 === 0 ? 0 : 2)}`;

/** How much of the referee discount this lesson can take, or why none. */
export function applicableDiscount(
  listPriceCents: number,
  discount: DiscountStanding | null,
): { cents: number; whyNot: string | null } {
  if (discount === null) return { cents: 0, whyNot: null };
  if (discount.firstLessonTaken) {
    return { cents: 0, whyNot: 'your referral discount was for your first lesson' };
  }
  if (listPriceCents < discount.minimumLessonCents) {
    return {
      cents: 0,
      whyNot: `your referral discount needs a lesson of at least ${dollars(discount.minimumLessonCents)}`,
    };
  }
  if (!discount.verified) {
    return { cents: 0, whyNot: 'verify your email and phone to use your referral discount' };
  }
  return { cents: Math.min(discount.amountCents, listPriceCents), whyNot: null };
}

/**
 * The one benefit a lesson gets: the referee discount or wallet credit, never both. The one
 * worth more to the student wins; on a tie the discount, so the credit stays for later.
 */
export function chooseBenefit(
  listPriceCents: number,
  walletCreditCents: number,
  discount: DiscountStanding | null,
): BenefitChoice {
  const fromDiscount = applicableDiscount(listPriceCents, discount);
  const creditCents = Math.max(0, Math.min(walletCreditCents, listPriceCents));
  const d = fromDiscount.cents;
  if (d === 0 && creditCents === 0) {
    const reason =
      fromDiscount.whyNot ??
      (listPriceCents === 0 ? 'the lesson is free' : 'no wallet credit or referral discount');
    return { kind: 'none', amountCents: 0, reason };
  }
  if (d >= creditCents) {
    const reason =
      creditCents === 0
        ? `referral discount: ${dollars(d)} off your first lesson`
        : `referral discount (${dollars(d)}) is worth at least your wallet credit (${dollars(creditCents)}); your credit stays for a later lesson`;
    return { kind: 'referee_discount', amountCents: d, reason };
  }
  const reason =
    d > 0
      ? `wallet credit (${dollars(creditCents)}) is worth more than your referral discount (${dollars(d)}), which is for your first lesson only and goes unused`
      : fromDiscount.whyNot !== null
        ? `wallet credit applied (${dollars(creditCents)}); ${fromDiscount.whyNot}`
        : `wallet credit applied (${dollars(creditCents)})`;
  return { kind: 'wallet_credit', amountCents: creditCents, reason };
}

/** The platform's fee on a list price, rounded half up to the cent. */
export function platformFeeCents(listPriceCents: number, feeBps: number): number {
  return Math.floor((listPriceCents * feeBps + 5000) / 10_000);
}
