import { refereeDiscountFrom } from './referee-discount';

describe(refereeDiscountFrom.name, () => {
  const config = (discount: unknown, minimum: unknown) =>
    new Map<string, unknown>([
      ['student_referee_discount_cents', discount],
      ['student_referee_minimum_lesson_cents', minimum],
    ]);

  it('gives the configured discount and lesson minimum', () => {
    expect(refereeDiscountFrom(config(2000, 7500), 'USD')).toEqual({
      amount: { amountCents: 2000, currency: 'USD' },
      minimumLessonPrice: { amountCents: 7500, currency: 'USD' },
    });
  });

  it('gives none when an admin set the discount to 0', () => {
    expect(refereeDiscountFrom(config(0, 7500), 'USD')).toBeNull();
  });

  it('refuses a config that is not whole cents', () => {
    expect(() => refereeDiscountFrom(config(19.5, 7500), 'USD')).toThrow(
      'student_referee_discount_cents',
    );
    expect(() => refereeDiscountFrom(config(2000, undefined), 'USD')).toThrow(
      'student_referee_minimum_lesson_cents',
    );
  });
});
