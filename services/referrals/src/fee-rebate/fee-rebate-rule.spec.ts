import { CompletedLesson } from '../program/qualifying-lesson';
import { feeRebateProblem, lessonEarningRebate } from './fee-rebate-rule';

const settings = { enabled: true, amountCents: 5000, lessons: 3, windowDays: 30 };
const rule = { minimumPriceCents: 2000, referrerId: 'referrer' };
const lesson = (
  id: string,
  day: number,
  fields: Partial<CompletedLesson> = {},
): CompletedLesson => ({
  bookingId: id,
  studentId: `student-${id}`,
  instructorId: 'instructor',
  priceCents: 8000,
  startsAt: new Date(Date.UTC(2026, 0, day, 9)),
  completedAt: new Date(Date.UTC(2026, 0, day, 10)),
  ...fields,
});

describe(lessonEarningRebate.name, () => {
  it('is earned by the third qualifying lesson within 30 days', () => {
    const lessons = [lesson('a', 1), lesson('b', 10), lesson('c', 31)];
    expect(lessonEarningRebate(lessons, settings, rule)?.bookingId).toBe('c');
  });

  it('is not earned when the three lessons span more than 30 days', () => {
    expect(
      lessonEarningRebate([lesson('a', 1), lesson('b', 10), lesson('c', 32)], settings, rule),
    ).toBeUndefined();
  });

  it('does not count lessons the shared rule refuses', () => {
    const lessons = [
      lesson('a', 1),
      lesson('free', 2, { priceCents: 0 }),
      lesson('own', 3, { studentId: 'instructor' }),
      lesson('b', 4),
    ];
    expect(lessonEarningRebate(lessons, settings, rule)).toBeUndefined();
    expect(lessonEarningRebate([...lessons, lesson('c', 5)], settings, rule)?.bookingId).toBe('c');
  });
});

describe(feeRebateProblem.name, () => {
  it('accepts the default and refuses malformed settings', () => {
    expect(feeRebateProblem(settings)).toBeUndefined();
    expect(feeRebateProblem({ ...settings, lessons: 0 })).toMatch(/lessons/);
    expect(feeRebateProblem({ ...settings, extra: 1 })).toMatch(/only/);
    expect(feeRebateProblem(null)).toBeDefined();
  });
});
