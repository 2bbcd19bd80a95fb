import { createEnvelope } from '../envelope';
import { CurrentEvents, parseEnvelope } from '../registry';
import { Topics } from '../topics';
import { ReferralAttributedV1 } from './referral-attributed.v1';
import { ReferralAttributedV2 } from './referral-attributed.v2';

const v1 = {
  attributionId: '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  program: 'student',
  referrerId: '1b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  refereeId: '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  code: 'SAM-1234',
  attributedAt: '2026-11-21T11:00:00.000Z',
};
const discount = {
  amount: { amountCents: 2000, currency: 'USD' },
  minimumLessonPrice: { amountCents: 7500, currency: 'USD' },
};

const raw = (version: number, payload: object) =>
  JSON.stringify(
    createEnvelope({
      type: Topics.ReferralAttributed,
      version,
      producer: 'referrals',
      key: v1.refereeId,
      payload,
      occurredAt: new Date(v1.attributedAt),
    }),
  );

describe(ReferralAttributedV2.name, () => {
  it('is what producers publish on referral-attributed', () => {
    expect(CurrentEvents[Topics.ReferralAttributed]).toEqual({
      version: 2,
      payload: ReferralAttributedV2,
    });
  });

  it("carries the referee's first-lesson discount", () => {
    const event = parseEnvelope(raw(2, { ...v1, refereeDiscount: discount }));
    expect(event.payload).toBeInstanceOf(ReferralAttributedV2);
    expect(event.payload).toMatchObject({ refereeDiscount: discount });
  });

  it('carries null when the program gives the referee nothing', () => {
    const event = parseEnvelope(raw(2, { ...v1, program: 'instructor', refereeDiscount: null }));
    expect(event.payload).toMatchObject({ refereeDiscount: null });
  });

  it('is refused without the discount field, or with a fractional amount', () => {
    expect(() => parseEnvelope(raw(2, v1))).toThrow('refereeDiscount');
    const fractional = { ...discount, amount: { amountCents: 19.5, currency: 'USD' } };
    expect(() => parseEnvelope(raw(2, { ...v1, refereeDiscount: fractional }))).toThrow(
      'amountCents',
    );
  });

  it('leaves v1 readable beside it', () => {
    const event = parseEnvelope(raw(1, v1), Topics.ReferralAttributed);
    expect(event.version).toBe(1);
    expect(event.payload).toBeInstanceOf(ReferralAttributedV1);
  });
});
