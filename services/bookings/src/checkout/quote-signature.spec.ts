import { quoteSignatureMatches, signQuote, SignedQuoteFields } from './quote-signature';

const secret = 'a-test-secret-of-at-least-32-characters';
const quote: SignedQuoteFields = {
  id: 'f5d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e5f',
  bookingId: '05d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e5f',
  studentId: '15d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e5f',
  instructorId: '25d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e5f',
  startsAt: new Date('2026-12-01T10:00:00Z'),
  endsAt: new Date('2026-12-01T11:00:00Z'),
  currency: 'USD',
  listPriceCents: 8000,
  benefitKind: 'wallet_credit',
  benefitCents: 2000,
  totalCents: 6000,
  platformFeeCents: 1200,
  feeRebateCents: 0,
  expiresAt: new Date('2026-12-01T09:10:00Z'),
};

describe(signQuote.name, () => {
  it('signs the same quote the same way', () => {
    expect(signQuote({ ...quote }, secret)).toBe(signQuote(quote, secret));
    expect(quoteSignatureMatches(quote, signQuote(quote, secret), secret)).toBe(true);
  });

  it('no longer matches once any charged field changes', () => {
    const signature = signQuote(quote, secret);
    expect(quoteSignatureMatches({ ...quote, totalCents: 5999 }, signature, secret)).toBe(false);
    expect(quoteSignatureMatches({ ...quote, benefitKind: 'none' }, signature, secret)).toBe(false);
    expect(
      quoteSignatureMatches(
        { ...quote, expiresAt: new Date('2026-12-02T00:00:00Z') },
        signature,
        secret,
      ),
    ).toBe(false);
  });

  it('does not match under another key or a truncated signature', () => {
    const signature = signQuote(quote, secret);
    expect(quoteSignatureMatches(quote, signature, `${secret}-other`)).toBe(false);
    expect(quoteSignatureMatches(quote, signature.slice(1), secret)).toBe(false);
  });
});
