import { randomUUID } from 'node:crypto';
import { createEnvelope, CurrentEvents, PayloadOf, Topic, Topics } from '@rewards/contracts';
import { loadConfig } from '@rewards/service-kit';
import {
  callerHeaders,
  errorOf,
  eventually,
  forgedCallerHeaders,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  testAdminUrl,
} from '@rewards/testing';
import { InboxContext } from '@rewards/messaging';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { UserRegisteredConsumer } from '../src/attribution/user-registered.consumer';
import { AppModule } from '../src/app.module';
import { ReferralsConfig } from '../src/config/referrals.config';
import { referralsDataSource } from '../src/db/data-source';
import { InstructorProgramConsumers } from '../src/instructor-program/instructor-program.consumers';
import { mapReferralsError } from '../src/referrals-error';

const as = (userId: string, role: string) => callerHeaders('referrals', userId, role);

describe('referrals service', () => {
  let service: RunningServiceApp;
  let probe: KafkaProbe;
  let admin: Client;
  const config = loadConfig(ReferralsConfig, serviceTestEnv('referrals'));

  const publish = async <T extends Topic>(topic: T, key: string, payload: PayloadOf<T>) => {
    const envelope = createEnvelope({
      type: topic,
      version: CurrentEvents[topic].version,
      producer: 'test',
      key,
      payload,
      occurredAt: new Date(),
    });
    await probe.produce(topic, key, JSON.stringify(envelope));
    return envelope;
  };

  const register = (userId: string, role: 'student' | 'instructor', referralCode?: string) =>
    publish(Topics.UserRegistered, userId, {
      userId,
      role,
      email: `${userId}@example.test`,
      displayName: 'Test',
      ...(referralCode ? { referralCode } : {}),
      registeredAt: new Date().toISOString(),
    });

  const codeOf = (userId: string) =>
    eventually(async () => {
      const res = await request(service.url)
        .get('/referrals/me')
        .set(as(userId, 'instructor'))
        .expect(200);
      return res.body.code as string;
    });

  const referredStatus = (referrer: string, referee: string) =>
    request(service.url)
      .get('/referrals/me/referred-instructors')
      .set(as(referrer, 'instructor'))
      .expect(200)
      .then((res) => res.body.items.find((i: { refereeId: string }) => i.refereeId === referee));

  const completeFirstLesson = (
    instructorId: string,
    fields: Partial<PayloadOf<typeof Topics.LessonCompleted>> = {},
  ) =>
    publish(Topics.LessonCompleted, randomUUID(), {
      bookingId: randomUUID(),
      studentId: randomUUID(),
      instructorId,
      price: { amountCents: 8000, currency: 'USD' },
      completedBy: 'instructor',
      startsAt: new Date(Date.now() - 3_600_000).toISOString(),
      completedAt: new Date().toISOString(),
      ...fields,
    });

  /** A referrer and a referee who went live: one first lesson away from a bonus. */
  const liveReferral = async () => {
    const referrer = randomUUID();
    const referee = randomUUID();
    await register(referrer, 'instructor');
    const code = await codeOf(referrer);
    await register(referee, 'instructor', code.toLowerCase());
    await publish(Topics.InstructorWentLive, referee, {
      instructorId: referee,
      wentLiveAt: new Date().toISOString(),
    });
    await eventually(async () =>
      expect((await referredStatus(referrer, referee))?.status).toBe('pending_lesson'),
    );
    return { referrer, referee };
  };

  const setFoundingSpotsLeft = async (spots: number) => {
    await admin.query(
      `UPDATE referrals.program_config SET value = to_jsonb(
         (SELECT value FROM referrals.program_counters WHERE name = 'founding_instructor_bonuses') + $1::int)
       WHERE key = 'founding_instructor_cap'`,
      [spots],
    );
  };

  beforeAll(async () => {
    await migrate(referralsDataSource(config.DATABASE_URL));
    admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    service = await startServiceApp(AppModule.forRoot(config), mapReferralsError);
    probe = new KafkaProbe();
    await probe.watch(['payout-requested', 'referral-attributed', 'user-registered.dlq']);
  });

  afterAll(async () => {
    await probe?.close();
    await service?.close();
    await admin?.end();
  });

  it('earns the founding bonus on the referee first lesson and marks it paid on payout-paid', async () => {
    await setFoundingSpotsLeft(5);
    const { referrer, referee } = await liveReferral();
    await completeFirstLesson(referee);
    await completeFirstLesson(referee);
    const requested = await eventually(() => {
      const found = probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer);
      expect(found).toHaveLength(1);
      return JSON.parse(found[0].value).payload;
    });
    expect(requested.amount).toEqual({ amountCents: 7500, currency: 'USD' });
    expect((await referredStatus(referrer, referee)).status).toBe('pending_transfer');

    await publish(Topics.PayoutPaid, requested.payoutId, {
      payoutId: requested.payoutId,
      rewardId: requested.rewardId,
      beneficiaryId: referrer,
      amount: requested.amount,
      transferId: 'tr_test_1',
      paidAt: new Date().toISOString(),
    });
    await eventually(async () =>
      expect((await referredStatus(referrer, referee)).status).toBe('paid'),
    );
    const stats = await request(service.url)
      .get('/referrals/me')
      .set(as(referrer, 'instructor'))
      .expect(200);
    expect(stats.body.instructorProgram.earnings.paidCents).toBe(7500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer),
    ).toHaveLength(1);
  });

  it('shows a bonus whose transfer Stripe reversed as failed with the reason, whatever the order', async () => {
    await setFoundingSpotsLeft(5);
    const { referrer, referee } = await liveReferral();
    await completeFirstLesson(referee);
    const requested = await eventually(() => {
      const found = probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer);
      expect(found).toHaveLength(1);
      return JSON.parse(found[0].value).payload;
    });
    const fields = {
      payoutId: requested.payoutId,
      rewardId: requested.rewardId,
      beneficiaryId: referrer,
      amount: requested.amount,
    };
    const paid = {
      ...fields,
      transferId: 'tr_test_2',
      paidAt: new Date().toISOString(),
    };
    await publish(Topics.PayoutPaid, requested.payoutId, paid);
    await eventually(async () =>
      expect((await referredStatus(referrer, referee)).status).toBe('paid'),
    );

    await publish(Topics.PayoutFailed, requested.payoutId, {
      ...fields,
      reason: 'TRANSFER_REVERSED',
      final: true,
      nextAttemptAt: null,
      failedAt: new Date(Date.now() + 1).toISOString(),
    });
    await eventually(async () =>
      expect(await referredStatus(referrer, referee)).toMatchObject({
        status: 'failed',
        failureReason: 'TRANSFER_REVERSED',
      }),
    );
    // The payout-paid delivered again late (another topic, so another order) does not undo it.
    await publish(Topics.PayoutPaid, requested.payoutId, paid);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await referredStatus(referrer, referee)).status).toBe('failed');
  });

  it('refuses self-dealing and unprovable first lessons, then pays on the first qualifying one', async () => {
    await setFoundingSpotsLeft(5);
    const { referrer, referee } = await liveReferral();
    const free = { price: { amountCents: 0, currency: 'USD' as const } };
    const cheap = { price: { amountCents: 1999, currency: 'USD' as const } };
    await completeFirstLesson(referee, free);
    await completeFirstLesson(referee, cheap);
    await completeFirstLesson(referee, { studentId: referee });
    await completeFirstLesson(referee, { studentId: referrer });
    await completeFirstLesson(referee, { startsAt: new Date(Date.now() + 60_000).toISOString() });
    // A v1 lesson cannot say when it started.
    const v1 = createEnvelope({
      type: Topics.LessonCompleted,
      version: 1,
      producer: 'test',
      key: randomUUID(),
      occurredAt: new Date(),
      payload: {
        bookingId: randomUUID(),
        studentId: randomUUID(),
        instructorId: referee,
        price: { amountCents: 8000, currency: 'USD' },
        completedBy: 'instructor',
        completedAt: new Date().toISOString(),
      },
    });
    await probe.produce(Topics.LessonCompleted, v1.key, JSON.stringify(v1));
    await eventually(async () => {
      const [row] = (
        await admin.query<{ n: string }>(
          'SELECT count(*) AS n FROM referrals.instructor_lessons WHERE instructor_id = $1',
          [referee],
        )
      ).rows;
      expect(Number(row.n)).toBe(6);
    });
    expect((await referredStatus(referrer, referee)).status).toBe('pending_lesson');
    expect(
      probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer),
    ).toHaveLength(0);

    const good = await completeFirstLesson(referee);
    await eventually(() =>
      expect(
        probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer),
      ).toHaveLength(1),
    );
    expect(await referredStatus(referrer, referee)).toMatchObject({
      status: 'pending_transfer',
      firstLessonAt: good.payload.completedAt,
    });
  });

  it('never pays more founding bonuses than the cap, even for simultaneous first lessons', async () => {
    const referrals = await Promise.all([1, 2, 3, 4].map(() => liveReferral()));
    await setFoundingSpotsLeft(1);
    await Promise.all(referrals.map((r) => completeFirstLesson(r.referee)));
    const amounts = await eventually(() => {
      const found = referrals.map((r) =>
        probe.find('payout-requested', (v) => v.payload?.beneficiaryId === r.referrer),
      );
      expect(found.every((f) => f.length === 1)).toBe(true);
      return found.map((f) => JSON.parse(f[0].value).payload.amount.amountCents as number).sort();
    });
    expect(amounts).toEqual([5000, 5000, 5000, 7500]);
    const status = await request(service.url).get('/referrals/founding-status').expect(200);
    expect(status.body.spotsLeft).toBe(0);
  });

  it('earns the bonus whatever order signup, go-live and first lesson arrive in', async () => {
    await setFoundingSpotsLeft(5);
    const referrer = randomUUID();
    const referee = randomUUID();
    await register(referrer, 'instructor');
    const code = await codeOf(referrer);
    await completeFirstLesson(referee);
    await publish(Topics.InstructorWentLive, referee, {
      instructorId: referee,
      wentLiveAt: new Date().toISOString(),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await register(referee, 'instructor', code);
    await eventually(() =>
      expect(
        probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer),
      ).toHaveLength(1),
    );
    expect((await referredStatus(referrer, referee)).status).toBe('pending_transfer');
  });

  it('earns the bonus when a late signup and the first lesson are applied side by side', async () => {
    await setFoundingSpotsLeft(5);
    const referrer = randomUUID();
    const referee = randomUUID();
    await register(referrer, 'instructor');
    const code = await codeOf(referrer);
    await publish(Topics.InstructorWentLive, referee, {
      instructorId: referee,
      wentLiveAt: new Date(Date.now() - 7_200_000).toISOString(),
    });
    await eventually(async () => {
      const { rows } = await admin.query(
        'SELECT 1 FROM referrals.instructor_milestones WHERE instructor_id = $1',
        [referee],
      );
      expect(rows).toHaveLength(1);
    });
    const envelope = <T extends Topic>(type: T, payload: PayloadOf<T>) =>
      createEnvelope({
        type,
        version: CurrentEvents[type].version,
        producer: 'test',
        key: randomUUID(),
        payload,
        occurredAt: new Date(),
      });
    const signup = envelope(Topics.UserRegistered, {
      userId: referee,
      role: 'instructor',
      email: `${referee}@example.test`,
      displayName: 'Late',
      referralCode: code,
      registeredAt: new Date().toISOString(),
    });
    const lesson = envelope(Topics.LessonCompleted, {
      bookingId: randomUUID(),
      studentId: randomUUID(),
      instructorId: referee,
      price: { amountCents: 8000, currency: 'USD' },
      completedBy: 'instructor',
      startsAt: new Date(Date.now() - 3_600_000).toISOString(),
      completedAt: new Date().toISOString(),
    });
    const dataSource = service.app.get(DataSource);
    const users = service.app.get(UserRegisteredConsumer);
    const program = service.app.get(InstructorProgramConsumers);

    // Two consumers (two replicas, or two partitions of one) apply the two events at once: the
    // signup's transaction is still open when the lesson's starts.
    const signupTx = dataSource.createQueryRunner();
    await signupTx.connect();
    await signupTx.startTransaction();
    let lessonApplied = false;
    try {
      await users.userRegistered(signup, new InboxContext([signupTx.manager, signup]));
      const lessonTx = dataSource
        .transaction((tx) => program.lessonCompleted(lesson, new InboxContext([tx, lesson])))
        .then(() => (lessonApplied = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The lesson waits for the signup of the same referee rather than miss its referral.
      expect(lessonApplied).toBe(false);
      await signupTx.commitTransaction();
      await lessonTx;
    } finally {
      if (signupTx.isTransactionActive) await signupTx.rollbackTransaction();
      await signupTx.release();
    }

    expect(await referredStatus(referrer, referee)).toMatchObject({
      status: 'pending_transfer',
      bonus: { amountCents: 7500, currency: 'USD' },
    });
    await eventually(() =>
      expect(
        probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer),
      ).toHaveLength(1),
    );
  });

  it('shows a failed payout retrying at its next attempt, then paid; an older failure changes nothing', async () => {
    await setFoundingSpotsLeft(5);
    const { referrer, referee } = await liveReferral();
    await completeFirstLesson(referee);
    const requested = await eventually(() => {
      const found = probe.find('payout-requested', (v) => v.payload?.beneficiaryId === referrer);
      expect(found).toHaveLength(1);
      return JSON.parse(found[0].value).payload;
    });
    const fields = {
      payoutId: requested.payoutId,
      rewardId: requested.rewardId,
      beneficiaryId: referrer,
      amount: requested.amount,
    };
    const failedAt = Date.now();
    const nextAttemptAt = new Date(failedAt + 3_600_000).toISOString();
    const retrying = {
      ...fields,
      reason: 'STRIPE_BALANCE_INSUFFICIENT',
      final: false,
      nextAttemptAt,
      failedAt: new Date(failedAt).toISOString(),
    };
    await publish(Topics.PayoutFailed, requested.payoutId, retrying);
    await eventually(async () =>
      expect(await referredStatus(referrer, referee)).toMatchObject({
        status: 'failed',
        failureReason: 'STRIPE_BALANCE_INSUFFICIENT',
        nextRetryAt: nextAttemptAt,
      }),
    );
    const stats = await request(service.url)
      .get('/referrals/me')
      .set(as(referrer, 'instructor'))
      .expect(200);
    expect(stats.body.instructorProgram).toMatchObject({
      counts: { failed: 1, pending_transfer: 0, paid: 0 },
      earnings: { paidCents: 0, pendingCents: 7500, currency: 'USD' },
    });

    await publish(Topics.PayoutPaid, requested.payoutId, {
      ...fields,
      transferId: 'tr_test_3',
      paidAt: new Date(failedAt + 3_600_001).toISOString(),
    });
    await eventually(async () =>
      expect(await referredStatus(referrer, referee)).toMatchObject({
        status: 'paid',
        failureReason: null,
        nextRetryAt: null,
      }),
    );
    // The failure delivered again after the payment (another topic) does not undo it.
    await publish(Topics.PayoutFailed, requested.payoutId, retrying);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await referredStatus(referrer, referee)).status).toBe('paid');
  });

  it('shows the live popup once: until acknowledged, then never again', async () => {
    const instructor = randomUUID();
    await register(instructor, 'instructor');
    const code = await codeOf(instructor);
    const popup = () =>
      request(service.url).get('/referrals/me/live-popup').set(as(instructor, 'instructor'));
    const ack = () =>
      request(service.url).post('/referrals/me/live-popup/ack').set(as(instructor, 'instructor'));

    expect((await popup().expect(200)).body).toEqual({ popup: null });
    const early = await ack();
    expect([early.status, errorOf(early).code]).toEqual([409, 'NOT_LIVE_YET']);

    const wentLiveAt = new Date().toISOString();
    await publish(Topics.InstructorWentLive, instructor, { instructorId: instructor, wentLiveAt });
    const shown = await eventually(async () => {
      const res = await popup().expect(200);
      expect(res.body.popup).not.toBeNull();
      return res.body.popup;
    });
    expect(shown).toMatchObject({
      wentLiveAt,
      code,
      link: `${config.PUBLIC_BASE_URL}/r/${code}`,
      bonus: {
        founding: { amountCents: 7500, currency: 'USD' },
        standard: { amountCents: 5000, currency: 'USD' },
        foundingSpotsLeft: expect.any(Number),
      },
      referredBy: null,
    });
    expect((await popup().expect(200)).body.popup).toEqual(shown);

    const first = await ack().expect(200);
    const second = await ack().expect(200);
    expect(second.body).toEqual(first.body);
    expect((await popup().expect(200)).body).toEqual({ popup: null });
    const student = await request(service.url)
      .get('/referrals/me/live-popup')
      .set(as(instructor, 'student'));
    expect([student.status, errorOf(student).code]).toEqual([403, 'FORBIDDEN']);
  });

  it('refuses self-referral and unknown codes with a recorded reason', async () => {
    const user = randomUUID();
    await register(user, 'instructor', 'NOSUCHCODE');
    await eventually(async () => {
      const res = await request(service.url)
        .get('/referrals/me')
        .set(as(user, 'instructor'))
        .expect(200);
      expect(res.body.referredBy).toEqual({
        outcome: 'refused',
        code: 'NOSUCHCODE',
        refusalReason: 'UNKNOWN_CODE',
        message: 'That referral code does not exist, so no one gets credit for your signup.',
      });
    });
  });

  it("publishes referral-attributed v2 with the student referee's first-lesson discount", async () => {
    const [referrer, referee] = [randomUUID(), randomUUID()];
    await register(referrer, 'student');
    const code = await codeOf(referrer);
    await register(referee, 'student', code);
    const event = await eventually(() => {
      const found = probe.find('referral-attributed', (v) => v.payload?.refereeId === referee);
      expect(found).toHaveLength(1);
      return JSON.parse(found[0].value);
    });
    expect(event).toMatchObject({ version: 2, key: referee });
    expect(event.payload).toMatchObject({
      program: 'student',
      referrerId: referrer,
      refereeDiscount: {
        amount: { amountCents: 2000, currency: 'USD' },
        minimumLessonPrice: { amountCents: 7500, currency: 'USD' },
      },
    });
  });

  it('dead-letters a malformed event and keeps consuming the partition', async () => {
    const key = randomUUID();
    await probe.produce('user-registered', key, '{"not":"an envelope"}');
    const after = randomUUID();
    await publish(Topics.UserRegistered, key, {
      userId: after,
      role: 'student',
      email: `${after}@example.test`,
      displayName: 'After',
      registeredAt: new Date().toISOString(),
    });
    const dead = await eventually(() => {
      const found = probe.find('user-registered.dlq', (_v, m) => m.key === key);
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(dead.headers['dlq-reason']).toContain('invalid envelope');
    await codeOf(after);
  });

  it('refuses forged identity headers: 401', async () => {
    const res = await request(service.url)
      .get('/referrals/me')
      .set(forgedCallerHeaders(randomUUID(), 'instructor'))
      .expect(401);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });
});
