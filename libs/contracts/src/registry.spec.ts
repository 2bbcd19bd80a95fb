import { createEnvelope } from './envelope';
import { ContractViolation, parseEnvelope } from './registry';
import { Topics } from './topics';

const lessonCompleted = {
  bookingId: '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  studentId: '1b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  instructorId: '2b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  price: { amountCents: 8000, currency: 'USD' },
  completedBy: 'instructor',
  completedAt: '2026-11-21T10:00:00.000Z',
};

const envelopeOf = (payload: object) =>
  JSON.stringify(
    createEnvelope({
      type: Topics.LessonCompleted,
      version: 1,
      producer: 'bookings',
      key: lessonCompleted.bookingId,
      payload,
      occurredAt: new Date('2026-11-21T10:00:00.000Z'),
    }),
  );

describe(parseEnvelope.name, () => {
  it('returns the envelope with a typed payload when the message satisfies its contract', () => {
    const event = parseEnvelope(envelopeOf(lessonCompleted), Topics.LessonCompleted);
    expect(event.type).toBe('lesson-completed');
    expect(event.payload).toMatchObject({ price: { amountCents: 8000, currency: 'USD' } });
  });

  it('tolerates payload fields it does not know, for forward compatibility', () => {
    expect(() => parseEnvelope(envelopeOf({ ...lessonCompleted, extra: 1 }))).not.toThrow();
  });

  it.each([
    ['not JSON', '{nope', 'not JSON'],
    ['a JSON array', '[]', 'not a JSON object'],
    [
      'a fractional amount',
      envelopeOf({ ...lessonCompleted, price: { amountCents: 1.5, currency: 'USD' } }),
      'price.amountCents',
    ],
    [
      'an unknown currency',
      envelopeOf({ ...lessonCompleted, price: { amountCents: 1, currency: 'XXX' } }),
      'price.currency',
    ],
    ['a missing id', envelopeOf({ ...lessonCompleted, bookingId: undefined }), 'bookingId'],
  ])('refuses %s with the reason', (_what, raw, reason) => {
    expect(() => parseEnvelope(raw)).toThrow(ContractViolation);
    expect(() => parseEnvelope(raw)).toThrow(reason);
  });

  it('refuses an event published on the wrong topic', () => {
    expect(() => parseEnvelope(envelopeOf(lessonCompleted), Topics.PayoutPaid)).toThrow(
      'does not belong on topic payout-paid',
    );
  });

  it('refuses a version no consumer knows', () => {
    const raw = JSON.parse(envelopeOf(lessonCompleted)) as Record<string, unknown>;
    expect(() => parseEnvelope(JSON.stringify({ ...raw, version: 9 }))).toThrow(
      'unknown event version',
    );
  });

  it('refuses an empty message', () => {
    expect(() => parseEnvelope(null)).toThrow('empty message value');
  });
});
