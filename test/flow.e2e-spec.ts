import { randomUUID } from 'node:crypto';
import { eventually, testAdminUrl } from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';

/**
 * The walking-skeleton flow, driven only through the gateway as a client would: a referred
 * instructor's first lesson pays the referrer's founding bonus by Stripe Transfer, exactly once.
 */
describe('instructor referral flow through the gateway', () => {
  let platform: PlatformUnderTest;
  let gw: () => ReturnType<typeof request>;

  beforeAll(async () => {
    platform = await startPlatform();
    gw = () => request(platform.gatewayUrl);
    // Suites share the program: whatever ran before, leave this one founding spots to award.
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      await admin.query(
        `UPDATE referrals.program_config SET value = to_jsonb(
           (SELECT value FROM referrals.program_counters WHERE name = 'founding_instructor_bonuses')
           + 5) WHERE key = 'founding_instructor_cap'`,
      );
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    await platform?.close();
  });

  const signIn = async (role: 'student' | 'instructor') => {
    const res = await gw().post('/auth/dev-token').send({ role }).expect(200);
    return { id: res.body.userId as string, auth: { authorization: `Bearer ${res.body.token}` } };
  };

  const registerInstructor = async (referralCode?: string) => {
    const user = await signIn('instructor');
    await gw()
      .post('/accounts')
      .set(user.auth)
      .send({
        role: 'instructor',
        email: `${user.id}@example.test`,
        displayName: 'Instructor',
        referralCode,
      })
      .expect(201);
    const account = platform.stripe.createAccount({ payoutsEnabled: true });
    await gw()
      .put('/accounts/me/payout-account')
      .set(user.auth)
      .send({ stripeAccountId: account.id })
      .expect(200);
    return { ...user, stripeAccountId: account.id };
  };

  /** A refers B; B goes live; a student books B; B completes the lesson. Returns A. */
  const referAndTeach = async () => {
    const a = await registerInstructor();
    const code = await eventually(
      async () => {
        const res = await gw().get('/referrals/me').set(a.auth).expect(200);
        return res.body.code as string;
      },
      { timeoutMs: 60_000 },
    );
    const b = await registerInstructor(code);
    await gw().post('/accounts/me/go-live').set(b.auth).expect(200);
    // Generous: a consumer group that just lost a member (an earlier suite) rebalances first.
    await eventually(
      async () => {
        const res = await gw().get('/referrals/me/referred-instructors').set(a.auth).expect(200);
        expect(res.body.items).toEqual([
          expect.objectContaining({ refereeId: b.id, status: 'pending_lesson' }),
        ]);
      },
      { timeoutMs: 60_000 },
    );
    const student = await signIn('student');
    await gw()
      .post('/accounts')
      .set(student.auth)
      .send({ role: 'student', email: `${student.id}@example.test`, displayName: 'Student' })
      .expect(201);
    const startsAt = new Date(Date.now() + 500);
    const booking = await gw()
      .post('/bookings')
      .set(student.auth)
      .send({
        instructorId: b.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 8000,
      })
      .expect(201);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await gw().post(`/bookings/${booking.body.id}/complete`).set(b.auth).expect(200);
    return { a, b };
  };

  const paidPayoutOf = (a: { auth: Record<string, string> }, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const res = await gw().get('/payouts/me').set(a.auth).expect(200);
        expect(res.body.items).toHaveLength(1);
        expect(res.body.items[0].status).toBe('paid');
        return res.body.items[0];
      },
      { timeoutMs },
    );

  it('pays the referrer the founding bonus by one Stripe Transfer, visible through the gateway', async () => {
    const founding = await gw().get('/referrals/founding-status').expect(200);
    expect(founding.body.spotsLeft).toBeGreaterThan(0);

    const { a, b } = await referAndTeach();
    const payout = await paidPayoutOf(a);
    expect(payout.amount).toEqual({ amountCents: 7500, currency: 'USD' });

    const transfers = platform.stripe
      .transfers()
      .filter((t) => t.destination === a.stripeAccountId);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]).toMatchObject({ amount: 7500, currency: 'usd', id: payout.transferId });

    await eventually(async () => {
      const res = await gw().get('/referrals/me/referred-instructors').set(a.auth).expect(200);
      expect(res.body.items[0]).toMatchObject({ refereeId: b.id, status: 'paid', founding: true });
    });
    const stats = await gw().get('/referrals/me').set(a.auth).expect(200);
    expect(stats.body.instructorProgram.earnings.paidCents).toBe(7500);
  });

  it('finishes the flow with no duplicate payout when payouts restarts mid-flow', async () => {
    await platform.stop('payouts');
    const { a } = await referAndTeach();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await platform.restart('payouts');
    await paidPayoutOf(a);
    expect(
      platform.stripe.transfers().filter((t) => t.destination === a.stripeAccountId),
    ).toHaveLength(1);
  });

  it('rejects what a client must not do, each with a stable code', async () => {
    const unauthenticated = await gw().get('/payouts/me').expect(401);
    expect(unauthenticated.body.error.code).toBe('UNAUTHENTICATED');
    const student = await signIn('student');
    const forbidden = await gw()
      .post(`/bookings/${randomUUID()}/complete`)
      .set(student.auth)
      .expect(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    const unknownField = await gw()
      .post('/accounts')
      .set(student.auth)
      .send({ role: 'student', email: 's@example.test', displayName: 'S', isAdmin: true })
      .expect(422);
    expect(unknownField.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'isAdmin' });
    await gw().get('/internal/accounts/x/payout-destination').expect(404);
  });
});
