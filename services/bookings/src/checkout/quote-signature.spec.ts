import { createHmac } from 'node:crypto';
import { QuoteTerms } from './checkout-quote';
import { QUOTE_SIGNATURE_MAX_LENGTH, signQuote, verifiedQuote } from './quote-signature';

const secret = 'a-test-secret-of-at-least-32-characters';
const quote: QuoteTerms = {
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
  feeRebateCents: 300,
  expiresAt: new Date('2026-12-01T09:10:00.123Z'),
  createdAt: new Date('2026-12-01T09:00:00.123Z'),
};

/** Every field the signature carries, changed to another value the layout can hold. */
const altered: { [K in keyof QuoteTerms]: QuoteTerms[K] } = {
  id: 'f5d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e50',
  bookingId: '05d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e50',
  studentId: '15d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e50',
  instructorId: '25d5c6a4-6b8e-4c1e-9d6f-0a1b2c3d4e50',
  startsAt: new Date('2026-12-01T10:00:00.001Z'),
  endsAt: new Date('2026-12-01T12:00:00Z'),
  currency: 'EUR',
  listPriceCents: 8001,
  benefitKind: 'referee_discount',
  benefitCents: 1999,
  totalCents: 6001,
  platformFeeCents: 1201,
  feeRebateCents: 299,
  expiresAt: new Date('2026-12-02T09:10:00Z'),
  createdAt: new Date('2026-12-01T08:00:00Z'),
};

const [version, payload, mac] = signQuote(quote, secret).split('.');

/** A well-formed signature over `bytes` as the payload, signed with `key`. */
const forged = (bytes: Buffer, key = secret, tag = version) => {
  const encoded = bytes.toString('base64url');
  const sig = createHmac('sha256', key)
    .update(`${tag}\n${quote.id}\n${encoded}`)
    .digest('base64url');
  return `${tag}.${encoded}.${sig}`;
};

describe(signQuote.name, () => {
  it('carries the quote: what it verifies is what was signed', () => {
    const signature = signQuote(quote, secret);
    expect(signature).toMatch(/^q2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(signature.length).toBeLessThanOrEqual(QUOTE_SIGNATURE_MAX_LENGTH);
    expect(verifiedQuote(quote.id, signature, secret)).toEqual(quote);
    expect(signQuote({ ...quote }, secret)).toBe(signature);
  });

  it('carries every benefit kind, and a zero total', () => {
    for (const benefitKind of ['none', 'wallet_credit', 'referee_discount'] as const) {
      const q = { ...quote, benefitKind, benefitCents: 8000, totalCents: 0 };
      expect(verifiedQuote(q.id, signQuote(q, secret), secret)).toEqual(q);
    }
  });

  it('accepts the quote id in capitals, and answers it as the server made it', () => {
    const signature = signQuote(quote, secret);
    expect(verifiedQuote(quote.id.toUpperCase(), signature, secret)?.id).toBe(quote.id);
  });

  it('refuses a signature made for another quote of the same terms', () => {
    const signature = signQuote(quote, secret);
    expect(verifiedQuote(altered.id, signature, secret)).toBeNull();
    expect(verifiedQuote(quote.id, signQuote({ ...quote, id: altered.id }, secret), secret)).toBe(
      null,
    );
  });

  it.each(Object.keys(altered).filter((k) => k !== 'id' && k !== 'totalCents'))(
    'refuses the payload of a quote whose %s differs, under the original mac',
    (field) => {
      const other = { ...quote, [field]: altered[field as keyof QuoteTerms] };
      const [, otherPayload] = signQuote(other, secret).split('.');
      expect(otherPayload).not.toBe(payload);
      expect(verifiedQuote(quote.id, `${version}.${otherPayload}.${mac}`, secret)).toBeNull();
    },
  );

  it('refuses any one character of the payload or the mac changed', () => {
    const signature = signQuote(quote, secret);
    for (let i = 0; i < signature.length; i++) {
      const swapped = signature[i] === 'A' ? 'B' : 'A';
      const changed = `${signature.slice(0, i)}${swapped}${signature.slice(i + 1)}`;
      expect(verifiedQuote(quote.id, changed, secret)).toBeNull();
    }
  });

  it('refuses junk, truncated, padded and oversized signatures without throwing', () => {
    const signature = signQuote(quote, secret);
    for (const junk of [
      '',
      'sig',
      '.',
      '..',
      'q2..',
      `${version}.${payload}`,
      `${version}.${payload}.`,
      signature.slice(0, -1),
      signature.slice(1),
      `${signature}x`,
      `${signature}=`,
      `${version}.${payload}=.${mac}`,
      `${version}.${payload}.${mac}.${mac}`,
      `${version}.${payload}.${mac.slice(0, 42)}+`,
      signature.replace(/\./g, '/'),
      `${signature}${'A'.repeat(QUOTE_SIGNATURE_MAX_LENGTH)}`,
      'q2.'.repeat(1000),
      '\u0000'.repeat(170),
      'é'.repeat(170),
      // A signature of the old format: quotes issued before the tokens.
      mac,
    ]) {
      expect(verifiedQuote(quote.id, junk, secret)).toBeNull();
    }
    expect(verifiedQuote('not-a-uuid', signature, secret)).toBeNull();
    expect(verifiedQuote('', signature, secret)).toBeNull();
  });

  it('refuses a signature under another key or of another version', () => {
    const signature = signQuote(quote, secret);
    expect(verifiedQuote(quote.id, signature, `${secret}-other`)).toBeNull();
    expect(verifiedQuote(quote.id, signQuote(quote, `${secret}-other`), secret)).toBeNull();
    expect(verifiedQuote(quote.id, `q1${signature.slice(2)}`, secret)).toBeNull();
    expect(verifiedQuote(quote.id, `q3${signature.slice(2)}`, secret)).toBeNull();
    // Signed as another version with the right key: the version is part of what is signed.
    expect(
      verifiedQuote(quote.id, forged(Buffer.from(payload, 'base64url'), secret, 'q1'), secret),
    ).toBeNull();
  });

  it('refuses a signed payload of the wrong size or with an unknown benefit kind', () => {
    const bytes = Buffer.from(payload, 'base64url');
    // Well signed, each: refused for what they carry.
    expect(verifiedQuote(quote.id, forged(bytes), secret)).toEqual(quote);
    expect(verifiedQuote(quote.id, forged(bytes.subarray(1)), secret)).toBeNull();
    expect(verifiedQuote(quote.id, forged(Buffer.concat([bytes, Buffer.alloc(3)])), secret)).toBe(
      null,
    );
    const unknownKind = Buffer.from(bytes);
    unknownKind[unknownKind.length - 1] = 7;
    expect(verifiedQuote(quote.id, forged(unknownKind), secret)).toBeNull();
  });

  it('refuses to sign a quote the layout cannot carry', () => {
    expect(() => signQuote({ ...quote, studentId: 'student-1' }, secret)).toThrow();
    expect(() => signQuote({ ...quote, listPriceCents: -1 }, secret)).toThrow();
    expect(() => signQuote({ ...quote, startsAt: new Date(-1) }, secret)).toThrow();
  });
});
