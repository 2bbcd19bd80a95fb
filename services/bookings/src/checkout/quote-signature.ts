import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signed fields of a quote: everything the booking will be charged by. */
export interface SignedQuoteFields {
  id: string;
  bookingId: string;
  studentId: string;
  instructorId: string;
  startsAt: Date;
  endsAt: Date;
  currency: string;
  listPriceCents: number;
  benefitKind: string;
  benefitCents: number;
  totalCents: number;
  platformFeeCents: number;
  feeRebateCents: number;
  expiresAt: Date;
}

/** One line per field in a fixed order, versioned: the same quote always signs the same. */
function canonicalQuote(q: SignedQuoteFields): string {
  return [
    'checkout-quote:v1',
    q.id,
    q.bookingId,
    q.studentId,
    q.instructorId,
    q.startsAt.toISOString(),
    q.endsAt.toISOString(),
    q.currency.trim(),
    q.listPriceCents,
    q.benefitKind,
    q.benefitCents,
    q.totalCents,
    q.platformFeeCents,
    q.feeRebateCents,
    q.expiresAt.toISOString(),
  ].join('\n');
}

/** HMAC-SHA256 of the canonical form, base64url. */
export function signQuote(q: SignedQuoteFields, secret: string): string {
  return createHmac('sha256', secret).update(canonicalQuote(q)).digest('base64url');
}

/** Constant-time check that `signature` is the quote's. */
export function quoteSignatureMatches(
  q: SignedQuoteFields,
  signature: string,
  secret: string,
): boolean {
  const expected = Buffer.from(signQuote(q, secret));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
