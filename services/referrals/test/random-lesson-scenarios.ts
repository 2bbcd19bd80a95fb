import { LessonSpec, Scenario } from './lesson-run-worlds';

/** mulberry32: a small seeded generator, so a failing lesson set is replayed by its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A batch of lessons among a few referees of both programs and a few other people, with what
 * makes batches hard: shared referrers under a velocity limit, few founding spots, a fee rebate
 * after 2 lessons, cheap, free, unprovable (v1) and backdated lessons, lessons completed out of
 * order, the same booking twice, the same message twice, lessons already recorded, referrers
 * and instructors as students, and ids in upper case.
 */
export function randomScenario(seed: number): Scenario {
  const random = generator(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const instructors = ['I1', 'I2', 'I3', 'I4', 'T1'];
  const students = ['S1', 'S2', 'S3', 'S4', 'S5'];
  const referrers = ['R1', 'R2'];
  const lessonFor = (booking: string): LessonSpec => {
    const completedMinAgo = 10 + Math.floor(random() * 5000);
    return {
      booking,
      instructor: pick(instructors),
      student: random() < 0.15 ? pick([...referrers, ...instructors]) : pick(students),
      price: pick([0, 1999, 5000, 7500, 8000, 8000, 8000]),
      completedMinAgo,
      startedMinAgo: random() < 0.1 ? completedMinAgo - 5 : completedMinAgo + 60,
      v1: random() < 0.1,
      upperCase: random() < 0.15,
    };
  };
  const priorLessons = Array.from({ length: 3 }, (_, i) => lessonFor(`p${i}`));
  const lessons: LessonSpec[] = [];
  for (let i = 0; i < 16; i++) {
    const roll = random();
    if (roll < 0.08 && lessons.length > 0) {
      lessons.push(pick(lessons)); // the same message again
    } else if (roll < 0.16 && lessons.length > 0) {
      lessons.push({ ...lessonFor(pick(lessons).booking), event: undefined }); // same booking
    } else if (roll < 0.22) {
      lessons.push({ ...pick(priorLessons), event: undefined }); // recorded by an earlier batch
    } else {
      lessons.push({ ...lessonFor(`b${i}`), event: `e${i}` });
    }
  }
  const status = () => pick(['pending_live', 'pending_lesson', 'pending_lesson', 'paid'] as const);
  return {
    name: `seed ${seed}`,
    settings: {
      student_velocity_limits: [{ windowHours: 24, max: pick([1, 2]) }],
      student_phase_caps: { preview: pick([1, 2, 50]), beta: 200 },
      instructor_fee_rebate: {
        enabled: random() < 0.7,
        amountCents: 5000,
        lessons: 2,
        windowDays: pick([1, 30]),
      },
    },
    foundingSpotsLeft: pick([0, 1, 2]),
    instructorReferees: ['I1', 'I2', 'I3'].map((id) => ({
      id,
      referrer: pick(referrers),
      status: status(),
      live: random() < 0.8,
    })),
    studentReferees: ['S1', 'S2', 'S3', 'S4'].map((id) => ({
      id,
      referrer: pick(referrers),
      verified: random() < 0.8,
    })),
    priorLessons,
    lessons,
  };
}
