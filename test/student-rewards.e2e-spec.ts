import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@rewards/service-kit';
import { errorOf, eventually, SmtpSink, testAdminUrl, testCardFor } from '@rewards/testing';
import { Client } from 'pg';
import { expectConformance } from './support/conformance-coverage';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';
import { StudentJourney, TestUser } from './support/student-journey';

/**
 * "Give $20, Get $20" through the gateway: click, signup, verification, first qualifying lesson,
 * hold, unlock into wallet credit; and the ways it is refused, reviewed, voided or clawed back.
 */
describe('student referral rewards through the gateway', () => {
  const clock = new ManualClock(new Date('2026-12-01T09:00:00Z'));
  const smtp = new SmtpSink();
  const smsFile = join(tmpdir(), `sms-${randomUUID()}.jsonl`);
  let platform: PlatformUnderTest;
  let j: StudentJourney;
  let instructor: TestUser;

  beforeAll(async () => {
    await smtp.start();
    platform = await startPlatform({
      clock,
      bookingsEnv: {
        SMTP_URL: smtp.url,
        SMS_LOG_FILE: smsFile,
        VERIFICATION_RESEND_COOLDOWN_MS: '0',
      },
      referralsEnv: { CLICK_FLUSH_INTERVAL_MS: '100', REWARD_UNLOCK_INTERVAL_MS: '3600000' },
      // Each user's X-Forwarded-For is its network, as a load balancer would send it; admins sign
      // in with dev tokens.
      gatewayEnv: { TRUST_PROXY_HOPS: '1', AUTH_DEV_TOKENS_ADMIN: 'true' },
    });
    j = new StudentJourney(platform, clock, smtp, smsFile);
    instructor = await j.liveInstructor();
  });

  afterAll(async () => {
    await platform?.close();
    await smtp.stop();
  });

  /** A referrer, and a friend who followed the link, signed up and verified. */
  const referredFriend = async (place: { device?: string; ip?: string } = {}) => {
    const referrer = await j.student();
    const code = await j.codeOf(referrer);
    const friend = await j.student(code, place);
    expect(friend.referral).toMatchObject({ outcome: 'pending', code });
    await j.codeOf(friend);
    await j.verify(friend);
    return { referrer, friend, code };
  };

  it('turns a referral into $20 of spendable credit after the 7-day hold', async () => {
    const { referrer, friend } = await referredFriend();
    const waiting = await eventually(async () => {
      const view = await j.rewardsOf(referrer);
      expect(view.waiting).toHaveLength(1);
      expect(view.waiting[0].message).toMatch(/first lesson/);
      return view;
    });
    expect(waiting).toMatchObject({ clicks: 1, signups: 1, rewards: [] });

    await j.lesson(friend, instructor, 8000);
    const held = await j.rewardIn(referrer, 'held');
    expect(held).toMatchObject({ reason: 'HELD_REFUND_WINDOW' });
    expect(held.message).toMatch(/held until/);
    await eventually(async () => expect(await j.wallet(referrer)).toMatchObject({ pending: 2000 }));

    expect((await j.afterDays(6)).unlocked).toBe(0);
    await j.afterDays(1.01);
    expect(await j.rewardIn(referrer, 'unlocked')).toMatchObject({ reason: 'UNLOCKED' });
    await eventually(
      async () => expect(await j.wallet(referrer)).toMatchObject({ available: 2000, pending: 0 }),
      { timeoutMs: 60_000 },
    );
  });

  it('refuses an expired verification code through the gateway and verifies nothing', async () => {
    const user = await j.student();
    await j.gw().post('/accounts/me/verification/email').set(user.auth).expect(202);
    const mail = await eventually(() => {
      const mails = smtp.to(`${user.id}@example.test`);
      expect(mails).toHaveLength(1);
      return mails[0];
    });
    clock.advance(11 * 60_000);
    const res = await j
      .gw()
      .post('/accounts/me/verification/email/confirm')
      .set(user.auth)
      .send({ code: /code is (\d{6})/.exec(mail.raw)![1] })
      .expect(422);
    expect(errorOf(res)).toMatchObject({ code: 'VERIFICATION_CODE_EXPIRED', field: 'code' });
    const me = await j.gw().get('/accounts/me').set(user.auth).expect(200);
    expect(me.body).toMatchObject({ emailVerified: false });
  });

  it('attributes a click only within the 30-day attribution window', async () => {
    const referrer = await j.student();
    const code = await j.codeOf(referrer);
    const friend = await j.signIn('student');
    const res = await j.gw().get(`/r/${code}`).set(j.headers(friend)).redirects(0).expect(302);
    const cookie = (res.headers['set-cookie'] as unknown as string[])
      .find((c) => c.startsWith('rp_ref='))!
      .split(';')[0];
    await new Promise((resolve) => setTimeout(resolve, 300)); // the click buffer's flush
    clock.advance(31 * 86_400_000);
    const signup = await j
      .gw()
      .post('/accounts')
      .set({ ...j.headers(friend), cookie })
      .send({ role: 'student', email: `${friend.id}@example.test`, displayName: 'Late' })
      .expect(201);
    expect(signup.body.referral).toMatchObject({ outcome: 'none' });
  });

  it('refuses the self-dealing lessons: free or below the minimum', async () => {
    const { referrer, friend } = await referredFriend();
    await eventually(async () => {
      expect((await j.rewardsOf(referrer)).waiting[0].message).toMatch(/first lesson/);
    });
    await j.lesson(friend, instructor, 0);
    await j.lesson(friend, instructor, 5000);
    // Give the consumer time to (wrongly) decide a reward from them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const view = await j.rewardsOf(referrer);
    expect(view.rewards).toEqual([]);
    expect(view.waiting[0].message).toMatch(/first lesson/);
    await j.lesson(friend, instructor, 7500);
    await j.rewardIn(referrer, 'held');
  });

  it('voids the reward when the lesson is refunded inside the hold', async () => {
    const { referrer, friend } = await referredFriend();
    const booking = await j.lesson(friend, instructor, 8000);
    await j.rewardIn(referrer, 'held');
    const admin = await j.signIn('admin');
    await j
      .gw()
      .post(`/bookings/${booking}/refund`)
      .set(admin.auth)
      .send({ reason: 'customer_request' })
      .expect(200);
    const voided = await j.rewardIn(referrer, 'voided');
    expect(voided).toMatchObject({ reason: 'REFUNDED_IN_HOLD', clawback: false });
    expect(voided.message).toMatch(/refunded during the refund window/);
    await eventually(async () => expect(await j.wallet(referrer)).toMatchObject({ pending: 0 }));
    await j.afterDays(8);
    expect(await j.wallet(referrer)).toMatchObject({ available: 0 });
  });

  it('claws the credit back when the lesson is refunded after unlock', async () => {
    const { referrer, friend } = await referredFriend();
    const booking = await j.lesson(friend, instructor, 8000);
    await j.rewardIn(referrer, 'held');
    await j.afterDays(7.01);
    await eventually(async () =>
      expect(await j.wallet(referrer)).toMatchObject({ available: 2000 }),
    );
    const admin = await j.signIn('admin');
    await j
      .gw()
      .post(`/bookings/${booking}/refund`)
      .set(admin.auth)
      .send({ reason: 'lesson_not_held' })
      .expect(200);
    expect(await j.rewardIn(referrer, 'voided')).toMatchObject({
      reason: 'REFUNDED_AFTER_UNLOCK',
      clawback: true,
    });
    await eventually(async () => expect(await j.wallet(referrer)).toMatchObject({ available: 0 }));
  });

  it('sends the reward of a household of three to review instead of paying it', async () => {
    const ip = '203.0.113.77';
    await j.student(undefined, { ip });
    await j.student(undefined, { ip });
    const { referrer, friend } = await referredFriend({ ip });
    await j.lesson(friend, instructor, 8000);
    const review = await j.rewardIn(referrer, 'review');
    expect(review).toMatchObject({ reason: 'HOUSEHOLD_REVIEW' });
    expect(await j.wallet(referrer)).toMatchObject({ pending: 0, available: 0 });
    await j.afterDays(8);
    expect((await j.rewardsOf(referrer)).rewards[0].status).toBe('review');
  });

  /** Waits until referrals knows a card `user` paid a lesson with (its lesson-completed read). */
  const cardKnown = async (user: TestUser) => {
    const db = new Client({ connectionString: testAdminUrl() });
    await db.connect();
    try {
      await eventually(async () => {
        const { rows } = await db.query(
          'SELECT 1 FROM referrals.payment_cards WHERE user_id = $1',
          [user.id],
        );
        expect(rows).toHaveLength(1);
      });
    } finally {
      await db.end();
    }
  };

  const adminItem = async (status: string, refereeId: string) => {
    const admin = await j.signIn('admin');
    const res = await j
      .gw()
      .get(`/admin/referrals/review?status=${status}&userId=${refereeId}`)
      .set(admin.auth)
      .expect(200);
    const items = (res.body as { items: Array<Record<string, unknown>> }).items;
    return items.find((i) => i.refereeId === refereeId);
  };

  it('refuses the reward when the friend pays with a card the referrer paid with', async () => {
    const { referrer, friend } = await referredFriend();
    const sharedCard = testCardFor(`shared-${referrer.id}`);
    await j.lesson(referrer, instructor, 8000, sharedCard);
    await cardKnown(referrer);

    await j.lesson(friend, instructor, 8000, sharedCard);

    const refused = await j.rewardIn(referrer, 'refused');
    expect(refused).toMatchObject({ reason: 'SELF_REFERRAL_PAYMENT' });
    expect(refused.message).toMatch(/paid with a card you have also paid with/);
    const item = await adminItem('refused', friend.id);
    expect(item).toMatchObject({ reason: 'SELF_REFERRAL_PAYMENT', referrerId: referrer.id });
    expect(item?.cluster).toEqual([{ userId: referrer.id, shared: ['payment'], banned: false }]);
    expect(await j.wallet(referrer)).toMatchObject({ pending: 0, available: 0 });
  });

  it('voids a held reward once the referrer pays with the card the friend paid with', async () => {
    const { referrer, friend } = await referredFriend();
    const sharedCard = testCardFor(`later-${referrer.id}`);
    await j.lesson(friend, instructor, 8000, sharedCard);
    await j.rewardIn(referrer, 'held');
    await eventually(async () => expect(await j.wallet(referrer)).toMatchObject({ pending: 2000 }));

    await j.lesson(referrer, instructor, 8000, sharedCard);

    const voided = await j.rewardIn(referrer, 'voided');
    expect(voided).toMatchObject({ reason: 'SELF_REFERRAL_PAYMENT', clawback: false });
    await eventually(async () => expect(await j.wallet(referrer)).toMatchObject({ pending: 0 }));
    const item = await adminItem('voided', friend.id);
    expect(item?.cluster).toEqual([{ userId: referrer.id, shared: ['payment'], banned: false }]);
  });

  it('rewards a friend who pays with a card of their own, though the referrer pays too', async () => {
    const { referrer, friend } = await referredFriend();
    await j.lesson(referrer, instructor, 8000);
    await cardKnown(referrer);

    await j.lesson(friend, instructor, 8000);

    expect(await j.rewardIn(referrer, 'held')).toMatchObject({ reason: 'HELD_REFUND_WINDOW' });
    expect((await adminItem('held', friend.id))?.cluster).toEqual([]);
  });

  it('answered every call above as the API document says', () => {
    expectConformance('student-rewards', j.conformance);
  });
});
