import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@rewards/service-kit';
import { errorOf, eventually, SmtpSink } from '@rewards/testing';
import { expectConformance } from './support/conformance-coverage';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';
import { StudentJourney, TestUser } from './support/student-journey';

/** The review queue, bans, program configuration and analytics, through the gateway. */
describe('student referral review and admin through the gateway', () => {
  const clock = new ManualClock(new Date('2027-01-10T09:00:00Z'));
  const smtp = new SmtpSink();
  const smsFile = join(tmpdir(), `sms-${randomUUID()}.jsonl`);
  let platform: PlatformUnderTest;
  let j: StudentJourney;
  let instructor: TestUser;
  let admin: TestUser;
  let household = 0;

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
    admin = await j.signIn('admin');
  });

  afterAll(async () => {
    await platform?.close();
    await smtp.stop();
  });

  /** A friend sharing a network with two other accounts completes a lesson: a review. */
  const reviewedReward = async () => {
    const ip = `203.0.114.${++household}`;
    await j.student(undefined, { ip });
    await j.student(undefined, { ip });
    const referrer = await j.student();
    const code = await j.codeOf(referrer);
    const friend = await j.student(code, { ip });
    await j.codeOf(friend);
    await j.verify(friend);
    await j.lesson(friend, instructor, 8000);
    const reward = await j.rewardIn(referrer, 'review');
    return { referrer, friend, rewardId: reward.rewardId, code };
  };

  const decide = (rewardId: string, action: 'approve' | 'void', body: object, who = admin) =>
    j.gw().post(`/admin/referrals/review/${rewardId}/${action}`).set(who.auth).send(body);

  it('lists a reward in review with its cluster, and approving it holds then unlocks it', async () => {
    const { referrer, rewardId } = await reviewedReward();
    const list = await j.gw().get('/admin/referrals/review').set(admin.auth).expect(200);
    const item = (list.body.items as Array<Record<string, unknown>>).find(
      (i) => i.rewardId === rewardId,
    );
    expect(item).toMatchObject({ reason: 'HOUSEHOLD_REVIEW', referrerId: referrer.id });
    expect(item?.cluster).toEqual(
      expect.arrayContaining([expect.objectContaining({ shared: ['ip'] })]),
    );

    const approved = await decide(rewardId, 'approve', { reason: 'same family, checked' }).expect(
      200,
    );
    expect(approved.body).toMatchObject({ status: 'held', reason: 'REVIEW_APPROVED' });
    expect(approved.body.decisions).toEqual([
      expect.objectContaining({
        action: 'approve',
        actor: admin.id,
        reason: 'same family, checked',
      }),
    ]);
    await eventually(async () => expect(await j.wallet(referrer)).toMatchObject({ pending: 2000 }));
    await j.afterDays(7.01);
    await eventually(async () =>
      expect(await j.wallet(referrer)).toMatchObject({ available: 2000 }),
    );

    const again = await decide(rewardId, 'approve', { reason: 'twice' }).expect(409);
    expect(errorOf(again).code).toBe('REVIEW_NOT_PENDING');
  });

  it('pages the review list by cursor without duplicates or gaps while an admin decides', async () => {
    // One referrer, three friends on a network shared with two other accounts: three reviews.
    const ip = `203.0.114.${++household}`;
    await j.student(undefined, { ip });
    await j.student(undefined, { ip });
    const referrer = await j.student();
    const code = await j.codeOf(referrer);
    for (let i = 0; i < 3; i += 1) {
      const friend = await j.student(code, { ip });
      await j.codeOf(friend);
      await j.verify(friend);
      await j.lesson(friend, instructor, 8000);
    }
    const inReview = await eventually(
      async () => {
        const ids = (await j.rewardsOf(referrer)).rewards
          .filter((r) => r.status === 'review')
          .map((r) => r.rewardId);
        expect(ids).toHaveLength(3);
        return ids;
      },
      { timeoutMs: 60_000 },
    );

    const pageAfter = (cursor: string | null) =>
      j
        .gw()
        .get('/admin/referrals/review')
        .query({ userId: referrer.id, limit: 1, ...(cursor === null ? {} : { cursor }) })
        .set(admin.auth)
        .expect(200);
    const seen: Array<{ rewardId: string; decidedAt: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await pageAfter(cursor);
      pages += 1;
      seen.push(...(page.body.items as typeof seen));
      cursor = page.body.nextCursor as string | null;
      // A decision between pages takes the reward out of the queue, shifting no later page.
      if (pages === 1) await decide(seen[0].rewardId, 'approve', { reason: 'checked' }).expect(200);
    } while (cursor !== null && pages < 10);

    expect(pages).toBe(3);
    expect(seen.map((i) => i.rewardId).sort()).toEqual([...inReview].sort());
    const times = seen.map((i) => i.decidedAt);
    expect(times).toEqual([...times].sort());
    const afterApproval = await j
      .gw()
      .get('/admin/referrals/review')
      .query({ userId: referrer.id })
      .set(admin.auth)
      .expect(200);
    expect(afterApproval.body).toMatchObject({ nextCursor: null });
    expect(afterApproval.body.items).toHaveLength(2);
  });

  it('refuses a review list cursor it did not make, and a bad page size, with 422', async () => {
    for (const cursor of [
      'not-a-cursor',
      'a/b',
      Buffer.from('yesterday|x').toString('base64url'),
    ]) {
      const res = await j
        .gw()
        .get('/admin/referrals/review')
        .query({ cursor })
        .set(admin.auth)
        .expect(422);
      expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'cursor' });
    }
    const tooMany = await j
      .gw()
      .get('/admin/referrals/review?limit=101')
      .set(admin.auth)
      .expect(422);
    expect(errorOf(tooMany)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limit' });
  });

  it('voids a reviewed reward with who and why, paying nothing', async () => {
    const { referrer, rewardId } = await reviewedReward();
    const voided = await decide(rewardId, 'void', { reason: 'shared card, fraud' }).expect(200);
    expect(voided.body).toMatchObject({ status: 'voided', reason: 'REVIEW_VOIDED' });
    expect((await j.rewardsOf(referrer)).rewards[0].message).toMatch(/could not approve/);
    expect(await j.wallet(referrer)).toMatchObject({ available: 0, pending: 0 });
  });

  it('bans a referrer: pending rewards are voided and new referrals refused at signup', async () => {
    const { referrer, rewardId, code } = await reviewedReward();
    const banned = await j
      .gw()
      .post(`/admin/referrals/users/${referrer.id}/ban`)
      .set(admin.auth)
      .send({ reason: 'ring of fake accounts' })
      .expect(200);
    expect(banned.body).toEqual({ userId: referrer.id, voidedRewards: 1 });
    const list = await j
      .gw()
      .get('/admin/referrals/review?status=voided')
      .set(admin.auth)
      .expect(200);
    expect(
      (list.body.items as Array<Record<string, unknown>>).find((i) => i.rewardId === rewardId),
    ).toMatchObject({ reason: 'BANNED' });
    const next = await j.student(code);
    expect(next.referral).toMatchObject({ outcome: 'refused', reason: 'REFERRER_BANNED' });
    // Support's raw view shows the ban and the reward it voided.
    const debug = await j
      .gw()
      .get(`/admin/referrals/users/${referrer.id}/debug`)
      .set(admin.auth)
      .expect(200);
    expect(debug.body.code).toMatchObject({ code });
    expect(debug.body.rewardsAsReferrer).toEqual([
      expect.objectContaining({ reward_id: rewardId, status: 'voided' }),
    ]);
  });

  it('refuses bad review input with stable codes', async () => {
    const student = await j.signIn('student');
    await decide(randomUUID(), 'approve', { reason: 'x' }).expect(422);
    const missing = await decide(randomUUID(), 'approve', {}).expect(422);
    expect(errorOf(missing)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason' });
    const extra = await decide(randomUUID(), 'void', { reason: 'fine', amount: 1 }).expect(422);
    expect(errorOf(extra).field).toBe('amount');
    const unknown = await decide(randomUUID(), 'void', { reason: 'no such reward' }).expect(404);
    expect(errorOf(unknown).code).toBe('REWARD_NOT_FOUND');
    await decide(randomUUID(), 'void', { reason: 'not an admin' }, student).expect(403);
  });

  it('expires a review left open 30 days as voided', async () => {
    const { referrer } = await reviewedReward();
    await j.afterDays(29);
    expect((await j.rewardsOf(referrer)).rewards[0].status).toBe('review');
    await j.afterDays(1.01);
    expect(await j.rewardIn(referrer, 'voided')).toMatchObject({ reason: 'REVIEW_EXPIRED' });
  });

  it('changes program configuration with an audit trail, refusing invalid values', async () => {
    const before = await j.gw().get('/admin/referrals/config').set(admin.auth).expect(200);
    expect(before.body.values).toMatchObject({ holdDays: 7, phase: 'preview' });
    const bad = await j
      .gw()
      .put('/admin/referrals/config')
      .set(admin.auth)
      .send({ reason: 'typo', velocityLimits: [{ windowHours: 0, max: 1 }] })
      .expect(422);
    expect(errorOf(bad)).toMatchObject({ code: 'CONFIG_INVALID', field: 'velocityLimits' });
    const changed = await j
      .gw()
      .put('/admin/referrals/config')
      .set(admin.auth)
      .send({ reason: 'holiday promo', holdDays: 3 })
      .expect(200);
    expect(changed.body.values.holdDays).toBe(3);
    expect(changed.body.audit[0]).toMatchObject({
      key: 'student_hold_days',
      oldValue: 7,
      newValue: 3,
      actor: admin.id,
      reason: 'holiday promo',
    });
    const program = await j.gw().get('/referrals/program').expect(200);
    expect(program.body).toMatchObject({
      referrerReward: { amountCents: 2000 },
      minimumLessonPrice: { amountCents: 7500 },
      holdDays: 3,
      ftcDisclosure: expect.any(String),
    });
    await j
      .gw()
      .put('/admin/referrals/config')
      .set(admin.auth)
      .send({ reason: 'promo over', holdDays: 7 })
      .expect(200);
  });

  it('summarizes clicks, attributions, rewards by status and reason, and cap use', async () => {
    const from = new Date(clock.now().getTime() - 400 * 86_400_000).toISOString();
    const to = new Date(clock.now().getTime() + 86_400_000).toISOString();
    const res = await j
      .gw()
      .get(`/admin/referrals/summary?from=${from}&to=${to}`)
      .set(admin.auth)
      .expect(200);
    expect(res.body.clicks).toBeGreaterThan(0);
    expect(res.body.attributions.attributed).toBeGreaterThan(0);
    expect(res.body.attributions.refused.REFERRER_BANNED).toBeGreaterThan(0);
    expect(res.body.rewards.voided).toMatchObject({ REVIEW_VOIDED: expect.any(Number) });
    expect(res.body.cap).toMatchObject({ phase: 'preview', cap: 50 });
    await j.gw().get(`/admin/referrals/summary?from=${to}&to=${from}`).set(admin.auth).expect(422);
  });

  it('answered every call above as the API document says', () => {
    expectConformance('student-review', j.conformance);
  });
});
