import { CompletedLesson, firstQualifyingLesson, lessonRefusal } from './qualifying-lesson';

const instructorId = '2b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01';
const referrerId = '3b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01';
const rule = { minimumPriceCents: 2000, referrerId };
const lesson = (fields: Partial<CompletedLesson> = {}): CompletedLesson => ({
  bookingId: '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  studentId: '1b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  instructorId,
  priceCents: 8000,
  startsAt: new Date('2026-11-21T10:00:00Z'),
  completedAt: new Date('2026-11-21T11:00:00Z'),
  ...fields,
});

describe(lessonRefusal.name, () => {
  it('accepts a paid lesson of another student completed after it started', () => {
    expect(lessonRefusal(lesson(), rule)).toBeUndefined();
    expect(lessonRefusal(lesson({ priceCents: 2000 }), rule)).toBeUndefined();
  });

  it.each([
    ['a free lesson', lesson({ priceCents: 0 }), 'LESSON_UNPAID'],
    ['a free lesson under a zero minimum', lesson({ priceCents: 0 }), 'LESSON_UNPAID'],
    ['a lesson below the minimum', lesson({ priceCents: 1999 }), 'LESSON_BELOW_MINIMUM'],
    ['the instructor as own student', lesson({ studentId: instructorId }), 'STUDENT_IS_INSTRUCTOR'],
    ['the referrer as student', lesson({ studentId: referrerId }), 'STUDENT_IS_REFERRER'],
    ['a lesson with no known start (v1)', lesson({ startsAt: null }), 'LESSON_START_UNKNOWN'],
    [
      'a lesson completed before it started',
      lesson({ completedAt: new Date('2026-11-21T09:59:59Z') }),
      'COMPLETED_BEFORE_START',
    ],
    [
      'a lesson completed the instant it started',
      lesson({ completedAt: new Date('2026-11-21T10:00:00Z') }),
      'COMPLETED_BEFORE_START',
    ],
  ])('refuses %s', (_what, l, reason) => {
    expect(
      lessonRefusal(l, { ...rule, minimumPriceCents: _what.includes('zero') ? 0 : 2000 }),
    ).toBe(reason);
  });
});

describe(firstQualifyingLesson.name, () => {
  it('skips earlier lessons that do not qualify', () => {
    const own = lesson({
      bookingId: 'a',
      studentId: referrerId,
      completedAt: new Date('2026-11-21T10:30:00Z'),
    });
    const good = lesson({ bookingId: 'b', completedAt: new Date('2026-11-22T11:00:00Z') });
    const later = lesson({ bookingId: 'c', completedAt: new Date('2026-11-23T11:00:00Z') });

    expect(firstQualifyingLesson([later, good, own], rule)?.bookingId).toBe('b');
    expect(firstQualifyingLesson([own], rule)).toBeUndefined();
  });
});
