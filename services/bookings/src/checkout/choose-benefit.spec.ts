import {
  applicableDiscount,
  chooseBenefit,
  DiscountStanding,
  platformFeeCents,
} from './choose-benefit';

const discount = (over: Partial<DiscountStanding> = {}): DiscountStanding => ({
  amountCents: 2000,
  minimumLessonCents: 7500,
  verified: true,
  firstLessonTaken: false,
  ...over,
});

describe(chooseBenefit.name, () => {
  it('applies the wallet credit when there is no discount', () => {
    expect(chooseBenefit(8000, 2000, null)).toEqual({
      kind: 'wallet_credit',
      amountCents: 2000,
      reason: 'wallet credit applied ($20)',
    });
  });

  it('never applies more credit than the lesson costs', () => {
    expect(chooseBenefit(1500, 2000, null)).toMatchObject({ amountCents: 1500 });
  });

  it('picks the discount when it is worth at least the credit, and says the credit stays', () => {
    const choice = chooseBenefit(8000, 1500, discount());
    expect(choice).toMatchObject({ kind: 'referee_discount', amountCents: 2000 });
    expect(choice.reason).toContain('your credit stays for a later lesson');
    expect(chooseBenefit(8000, 2000, discount()).kind).toBe('referee_discount');
  });

  it('picks the credit when it is worth more than the discount, and says why', () => {
    const choice = chooseBenefit(8000, 2500, discount());
    expect(choice).toMatchObject({ kind: 'wallet_credit', amountCents: 2500 });
    expect(choice.reason).toContain('worth more than your referral discount ($20)');
  });

  it('gives nothing, and says why, when neither applies', () => {
    expect(chooseBenefit(5000, 0, discount())).toEqual({
      kind: 'none',
      amountCents: 0,
      reason: 'your referral discount needs a lesson of at least $75',
    });
    expect(chooseBenefit(8000, 0, null).reason).toBe('no wallet credit or referral discount');
  });
});

describe(applicableDiscount.name, () => {
  it('applies from the minimum price up, never beyond the price', () => {
    expect(applicableDiscount(7500, discount()).cents).toBe(2000);
    expect(applicableDiscount(7499, discount()).cents).toBe(0);
    expect(applicableDiscount(1000, discount({ minimumLessonCents: 0 })).cents).toBe(1000);
  });

  it('needs a verified email and phone, and a first lesson', () => {
    expect(applicableDiscount(8000, discount({ verified: false }))).toEqual({
      cents: 0,
      whyNot: 'verify your email and phone to use your referral discount',
    });
    expect(applicableDiscount(8000, discount({ firstLessonTaken: true })).cents).toBe(0);
  });
});

describe(platformFeeCents.name, () => {
  it('takes its basis points of the list price, rounded half up', () => {
    expect(platformFeeCents(8000, 1500)).toBe(1200);
    expect(platformFeeCents(8003, 1500)).toBe(1200);
    expect(platformFeeCents(8010, 1500)).toBe(1202);
    expect(platformFeeCents(0, 1500)).toBe(0);
  });
});
