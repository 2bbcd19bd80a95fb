import { LessonRun, reachedLessons } from './lesson-run';
import { CompletedLesson } from './qualifying-lesson';

const lesson = (bookingId: string): CompletedLesson => ({
  bookingId,
  studentId: 'student',
  instructorId: 'instructor',
  priceCents: 8000,
  startsAt: new Date('2027-01-01T10:00:00Z'),
  completedAt: new Date('2027-01-01T11:00:00Z'),
});

describe(LessonRun.name, () => {
  it('keeps a lesson the run recorded out of reads until its event is reached, in either table', () => {
    const run = new LessonRun(new Set(['a', 'b']), new Set(['b', 'c']));
    const all = [lesson('a'), lesson('b'), lesson('c'), lesson('old')];
    expect(reachedLessons(all, run.instructorLessonsNotReached).map((l) => l.bookingId)).toEqual([
      'c',
      'old',
    ]);
    run.reach('B'); // ids from a payload may be in upper case; Postgres answers lower case
    expect(reachedLessons(all, run.instructorLessonsNotReached).map((l) => l.bookingId)).toEqual([
      'b',
      'c',
      'old',
    ]);
    expect(reachedLessons(all, run.studentLessonsNotReached).map((l) => l.bookingId)).toEqual([
      'a',
      'b',
      'old',
    ]);
  });

  it('reads every lesson outside a run', () => {
    const all = [lesson('a'), lesson('b')];
    expect(reachedLessons(all, undefined)).toBe(all);
  });
});
