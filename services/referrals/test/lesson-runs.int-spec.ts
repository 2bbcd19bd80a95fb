import { ManualClock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { InstructorProgramConsumers } from '../src/instructor-program/instructor-program.consumers';
import {
  LessonConsumerHarness,
  privateReferralsDatabase,
  RunPath,
  StatementLog,
} from './lesson-run-harness';
import { LessonSpec, Scenario, World } from './lesson-run-worlds';
import { randomScenario } from './random-lesson-scenarios';

/**
 * A batch of lesson completions applied as one run with its prelude must leave exactly what the
 * same events leave applied one at a time: the run redone a savepoint per message without its
 * prelude (what the inbox does after any failure), or one batch per event.
 */
describe(InstructorProgramConsumers.name, () => {
  const clock = new ManualClock(new Date('2027-03-01T12:00:00Z'));
  const log = new StatementLog();
  let db: DataSource;
  let drop: () => Promise<void>;
  let harness: LessonConsumerHarness;
  let defaults: Array<{ key: string; value: unknown }>;

  beforeAll(async () => {
    ({ dataSource: db, drop } = await privateReferralsDatabase(log));
    harness = await LessonConsumerHarness.create(db, clock);
    defaults = await db.query('SELECT key, value FROM program_config');
  });

  afterAll(async () => {
    await drop?.();
  });

  type Way = RunPath | 'one at a time';

  /** Seeds a world of the scenario, applies its lessons one way, and snapshots the result. */
  const play = async (scenario: Scenario, way: Way) => {
    const world = new World(db, clock, defaults);
    await world.seed(scenario);
    if (scenario.priorLessons?.length) await harness.deliver(world.events(scenario.priorLessons));
    const events = world.events(scenario.lessons);
    const preludes = harness.preludeCalls;
    const deadLetters = (await harness.deadLetters.list()).length;
    if (way === 'one at a time') {
      for (const e of events) await harness.deliver([e]);
    } else {
      await harness.deliver(events, way);
    }
    // The way asked for is the way taken: one prelude per batch, and a redo dead-letters the
    // message that failed, after the prelude's attempt was rolled back.
    expect(harness.preludeCalls - preludes).toBeGreaterThan(0);
    expect((await harness.deadLetters.list()).length - deadLetters).toBe(way === 'redo' ? 1 : 0);
    return world.snapshot();
  };

  /** The scenario's result through the prelude, checked equal to the redo and one at a time. */
  const sameEveryWay = async (scenario: Scenario) => {
    const batched = await play(scenario, 'prelude');
    expect(await play(scenario, 'redo')).toEqual(batched);
    expect(await play(scenario, 'one at a time')).toEqual(batched);
    return batched as {
      instructorReferrals: Array<Record<string, unknown>>;
      rewards: Array<Record<string, unknown>>;
      appliedMessages: Array<{ n: number }>;
      outbox: Array<{ topic: string }>;
    };
  };

  const lesson = (booking: string, instructor: string, student: string, more = {}): LessonSpec => ({
    booking,
    instructor,
    student,
    ...more,
  });

  const foundingSpot: Scenario = {
    name: 'founding spot',
    foundingSpotsLeft: 1,
    instructorReferees: [
      { id: 'I1', referrer: 'R1', status: 'pending_lesson', live: true },
      { id: 'I2', referrer: 'R2', status: 'pending_lesson', live: true },
    ],
    studentReferees: [{ id: 'S2', referrer: 'R3' }],
    lessons: [
      lesson('b1', 'I1', 'S1', { price: 1000 }),
      lesson('b2', 'I2', 'S2'),
      lesson('b3', 'I1', 'S3'),
    ],
  };

  it('gives the last founding spot to the referee whose qualifying lesson comes first in the batch', async () => {
    const result = await sameEveryWay(foundingSpot);
    expect(result.instructorReferrals).toEqual([
      expect.objectContaining({
        referee_id: 'I1',
        first_lesson_booking_id: 'b3',
        founding: false,
        bonus_cents: 5000,
      }),
      expect.objectContaining({
        referee_id: 'I2',
        first_lesson_booking_id: 'b2',
        founding: true,
        bonus_cents: 7500,
      }),
    ]);
    expect(result.outbox.map((o) => o.topic)).toEqual([
      'reward-earned',
      'payout-requested',
      'reward-earned', // S2's referrer
      'reward-earned',
      'payout-requested',
    ]);
  });

  it('commits nothing of a run stopped mid-way, and its redelivery gives the one-at-a-time result', async () => {
    const oneAtATime = await play(foundingSpot, 'one at a time');
    const world = new World(db, clock, defaults);
    await world.seed(foundingSpot);
    const events = world.events(foundingSpot.lessons);
    // The partition is taken away after two handlers: the prelude had recorded all three lessons.
    expect(await harness.deliver(events, 'prelude', { revokeAfter: 2 })).toBe(0);
    expect(await world.snapshot()).toMatchObject({
      instructorReferrals: [{ status: 'pending_lesson' }, { status: 'pending_lesson' }],
      rewards: [],
      instructorLessons: [],
      studentLessons: [],
      appliedMessages: [{ n: 0 }],
      outbox: [],
    });
    // The next owner of the partition gets the batch again.
    expect(await harness.deliver(events)).toBe(3);
    expect(await world.snapshot()).toEqual(oneAtATime);
  });

  it("rewards, under a referrer's velocity limit, the student whose qualifying lesson comes first", async () => {
    const result = await sameEveryWay({
      name: 'velocity',
      settings: { student_velocity_limits: [{ windowHours: 24, max: 1 }] },
      studentReferees: [
        { id: 'S1', referrer: 'R1' },
        { id: 'S2', referrer: 'R1' },
      ],
      lessons: [
        lesson('b1', 'T1', 'S1', { price: 5000 }),
        lesson('b2', 'T2', 'S2'),
        // Completed before b2, but its event comes after: one at a time, S2 is decided first.
        lesson('b3', 'T1', 'S1', { completedMinAgo: 300, startedMinAgo: 360 }),
      ],
    });
    expect(result.rewards).toEqual([
      expect.objectContaining({
        referee_id: 'S1',
        status: 'refused',
        reason: 'VELOCITY_LIMIT',
        booking_id: 'b3',
      }),
      expect.objectContaining({ referee_id: 'S2', status: 'held', booking_id: 'b2' }),
    ]);
    expect(result.outbox.map((o) => o.topic)).toEqual(['reward-earned']);
  });

  it('takes as first lesson the first qualifying one its event reaches, not an earlier completion later in the batch', async () => {
    const result = await sameEveryWay({
      name: 'out of order',
      instructorReferees: [{ id: 'I1', referrer: 'R1', status: 'pending_lesson', live: true }],
      studentReferees: [{ id: 'S1', referrer: 'R2' }],
      lessons: [
        lesson('b1', 'I1', 'S1', { completedMinAgo: 30, startedMinAgo: 90 }),
        lesson('b2', 'I1', 'S1', { completedMinAgo: 300, startedMinAgo: 360 }),
      ],
    });
    expect(result.instructorReferrals).toEqual([
      expect.objectContaining({
        referee_id: 'I1',
        status: 'pending_transfer',
        first_lesson_booking_id: 'b1',
      }),
    ]);
    expect(result.rewards).toEqual([
      expect.objectContaining({ referee_id: 'S1', status: 'held', booking_id: 'b1' }),
    ]);
  });

  it('grants the fee rebate at the lesson that completes the run of qualifying lessons', async () => {
    const result = await sameEveryWay({
      name: 'fee rebate',
      settings: {
        instructor_fee_rebate: { enabled: true, amountCents: 5000, lessons: 3, windowDays: 30 },
      },
      instructorReferees: [{ id: 'F', referrer: 'R3', status: 'paid', live: true }],
      priorLessons: [
        lesson('p1', 'F', 'S1', { completedMinAgo: 3000, startedMinAgo: 3060 }),
        lesson('p2', 'F', 'S2', { completedMinAgo: 2000, startedMinAgo: 2060 }),
      ],
      lessons: [
        lesson('b1', 'F', 'S3', { price: 0 }),
        lesson('b2', 'F', 'S4', { completedMinAgo: 10, startedMinAgo: 70 }),
        lesson('b3', 'F', 'S5', { completedMinAgo: 500, startedMinAgo: 560 }),
      ],
    });
    expect(result.rewards).toEqual([
      expect.objectContaining({
        referee_id: 'F',
        kind: 'fee_rebate',
        status: 'held',
        booking_id: 'b2',
        amount_cents: 5000,
      }),
    ]);
  });

  it('applies duplicates, replays, v1 lessons and upper-case ids the same way', async () => {
    const first = lesson('b1', 'I2', 'S1', { event: 'e1' });
    const result = await sameEveryWay({
      name: 'duplicates',
      instructorReferees: [
        { id: 'I1', referrer: 'R1', status: 'pending_live' },
        { id: 'I2', referrer: 'R2', status: 'pending_lesson', live: true },
      ],
      studentReferees: [
        { id: 'S1', referrer: 'R3' },
        { id: 'S2', referrer: 'R4', verified: false },
      ],
      priorLessons: [lesson('p1', 'I2', 'S9', { price: 1000 })],
      lessons: [
        lesson('b0', 'I2', 'S1', { v1: true }),
        first,
        first, // the same message delivered twice
        lesson('b1', 'I1', 'S2', { price: 1000 }), // the same booking again, other facts
        lesson('p1', 'I2', 'S9', { price: 1000 }), // a lesson recorded by an earlier batch
        lesson('b2', 'I1', 'S2', { upperCase: true }),
        lesson('b3', 'I2', 'I2', { upperCase: true }),
        lesson('b4', 'R3', 'S1', { upperCase: true }),
      ],
    });
    expect(result.instructorReferrals).toEqual([
      expect.objectContaining({ referee_id: 'I1', status: 'pending_live' }),
      expect.objectContaining({
        referee_id: 'I2',
        status: 'pending_transfer',
        first_lesson_booking_id: 'b1',
      }),
    ]);
    expect(result.rewards).toEqual([
      expect.objectContaining({ referee_id: 'S1', status: 'held', booking_id: 'b1' }),
    ]);
    // Every distinct message applied once: 8 events, one of them twice, and the prior one.
    expect(result.appliedMessages).toEqual([{ n: 8 }]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])(
    'leaves the same state every way for generated lesson set %i',
    async (seed) => {
      await sameEveryWay(randomScenario(seed));
    },
  );

  /** The statements sent while `work` ran, BEGIN and COMMIT included. */
  const statementsOf = async (work: () => Promise<unknown>): Promise<string[]> => {
    const from = log.statements.length;
    await work();
    return log.statements.slice(from).map((st) => st.sql.replace(/\s+/g, ' ').trim());
  };

  /** Someone of every kind a lesson could move, none of whom a cheap lesson moves. */
  const quiet: Scenario = {
    name: 'quiet lessons',
    settings: {
      instructor_fee_rebate: { enabled: true, amountCents: 5000, lessons: 3, windowDays: 30 },
    },
    instructorReferees: [
      { id: 'I1', referrer: 'R1', status: 'pending_live' },
      { id: 'I2', referrer: 'R1', status: 'pending_lesson', live: true },
      { id: 'I3', referrer: 'R2', status: 'paid', live: true },
    ],
    studentReferees: [
      { id: 'S1', referrer: 'R1' },
      { id: 'S2', referrer: 'R2', verified: false },
    ],
    lessons: [],
  };
  const quietLessons = (n: number, from = 0): LessonSpec[] =>
    Array.from({ length: n }, (_, i) =>
      lesson(`q${from + i}`, ['I1', 'I2', 'I3', `T${i}`][i % 4], ['S1', 'S2', `X${i}`][i % 3], {
        price: 1000,
      }),
    );

  /** The statements of one batch of `lessons` in a fresh world of the scenario. */
  const batchStatements = async (scenario: Scenario, lessons: LessonSpec[], path?: RunPath) => {
    const world = new World(db, clock, defaults);
    await world.seed(scenario);
    const events = world.events(lessons);
    return statementsOf(() => harness.deliver(events, path));
  };

  it('prepares a batch of lessons that change nothing in the same statements whatever its length', async () => {
    const plain: Scenario = { name: 'nobody', lessons: [] };
    const few = await batchStatements(plain, quietLessons(4));
    const many = await batchStatements(plain, quietLessons(60));
    // BEGIN, the inbox, the locks, the lessons, a read per program (fee setting), COMMIT.
    expect(few).toHaveLength(8);
    expect(many).toEqual(few);

    const someone = await batchStatements(quiet, quietLessons(4));
    // Plus the program settings the reads found someone for, and that someone's rebate.
    expect(someone.length).toBeLessThanOrEqual(12);
    expect(await batchStatements(quiet, quietLessons(60))).toEqual(someone);
  });

  it('spends further statements only on the lessons that decide something', async () => {
    const deciding = (quietCount: number): LessonSpec[] => [
      ...quietLessons(quietCount),
      lesson('d1', 'I2', 'S1'), // I2's first lesson and S1's: a bonus and a reward
      ...quietLessons(quietCount, quietCount),
    ];
    const short = await batchStatements(quiet, deciding(2));
    const long = await batchStatements(quiet, deciding(30));
    expect(long).toEqual(short);
    // The one lesson that decides: I2's bonus (reward-earned, payout-requested), S1's reward.
    expect(short.filter((sql) => sql.includes('INSERT INTO outbox_messages'))).toHaveLength(3);
    expect(short.filter((sql) => sql.includes('."student_rewards"('))).toHaveLength(1);
  });

  it('counts what the redo without prelude costs: statements for every lesson', async () => {
    const few = await batchStatements(quiet, quietLessons(4), 'redo');
    const many = await batchStatements(quiet, quietLessons(24), 'redo');
    expect(many.length - few.length).toBeGreaterThanOrEqual(20 * 4);
  });
});
