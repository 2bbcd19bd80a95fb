import { CompletedLesson } from '../program/qualifying-lesson';
import { lessonCanAdvance } from './advance-instructor-referral';
import { WaitingReferee } from './instructor-milestones';

const lesson = (bookingId: string, priceCents = 8000): CompletedLesson => ({
  bookingId,
  studentId: 'student',
  instructorId: 'referee',
  priceCents,
  startsAt: new Date('2027-01-01T10:00:00Z'),
  completedAt: new Date('2027-01-01T11:00:00Z'),
});

const referee = (over: Partial<WaitingReferee>): WaitingReferee => ({
  referrerId: 'referrer',
  status: 'pending_lesson',
  wentLive: true,
  lessons: [],
  ...over,
});

describe(lessonCanAdvance.name, () => {
  it('moves a referee who has not gone live only once going live is recorded', () => {
    const lessons = [lesson('a')];
    expect(
      lessonCanAdvance(
        referee({ status: 'pending_live', wentLive: false, lessons }),
        new Set(),
        2000,
      ),
    ).toBe(false);
    expect(
      lessonCanAdvance(referee({ status: 'pending_live', wentLive: true }), new Set(), 2000),
    ).toBe(true);
  });

  it('moves a live referee only with a qualifying lesson the run has reached', () => {
    const waiting = referee({ lessons: [lesson('cheap', 1000), lesson('later')] });
    expect(lessonCanAdvance(waiting, new Set(['later']), 2000)).toBe(false);
    expect(lessonCanAdvance(waiting, new Set(), 2000)).toBe(true);
    // Without the minimum (not read), it cannot tell: the full decision runs.
    expect(lessonCanAdvance(referee({ lessons: [] }), new Set(), undefined)).toBe(true);
  });
});
