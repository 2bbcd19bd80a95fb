import { randomUUID } from 'node:crypto';
import { errorOf, eventually, testAdminUrl } from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { instructorReferralFlow } from './support/instructor-referral-flow';
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

  const { signIn, referAndTeach, paidPayoutOf } = instructorReferralFlow(() => platform);

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
    expect(errorOf(unauthenticated).code).toBe('UNAUTHENTICATED');
    const student = await signIn('student');
    const forbidden = await gw()
      .post(`/bookings/${randomUUID()}/complete`)
      .set(student.auth)
      .expect(403);
    expect(errorOf(forbidden).code).toBe('FORBIDDEN');
    const unknownField = await gw()
      .post('/accounts')
      .set(student.auth)
      .send({ role: 'student', email: 's@example.test', displayName: 'S', isAdmin: true })
      .expect(422);
    expect(errorOf(unknownField)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'isAdmin' });
    await gw().get('/internal/accounts/x/payout-destination').expect(404);
  });

  it('counts refused requests by status and stable code, at the gateway and at the service that refused', async () => {
    const refusals = async (service: string, status: number, code: string) => {
      const text = (await request(platform.metricsUrls()[service]).get('').expect(200)).text;
      const series = new RegExp(
        `^http_requests_refused_total\\{route="[^"]*",status="${status}",code="${code}"\\} (\\d+)$`,
        'gm',
      );
      return [...text.matchAll(series)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = {
      unauthenticated: await refusals('gateway', 401, 'UNAUTHENTICATED'),
      forbidden: await refusals('gateway', 403, 'FORBIDDEN'),
      relayed: await refusals('gateway', 422, 'VALIDATION_FAILED'),
      atBookings: await refusals('bookings', 422, 'VALIDATION_FAILED'),
    };
    await gw().get('/payouts/me').expect(401);
    const student = await signIn('student');
    await gw().post(`/bookings/${randomUUID()}/complete`).set(student.auth).expect(403);
    await gw()
      .post('/accounts')
      .set(student.auth)
      .send({ role: 'student', email: 's2@example.test', displayName: 'S', isAdmin: true })
      .expect(422);

    expect({
      unauthenticated: await refusals('gateway', 401, 'UNAUTHENTICATED'),
      forbidden: await refusals('gateway', 403, 'FORBIDDEN'),
      relayed: await refusals('gateway', 422, 'VALIDATION_FAILED'),
      atBookings: await refusals('bookings', 422, 'VALIDATION_FAILED'),
    }).toEqual({
      unauthenticated: before.unauthenticated + 1,
      forbidden: before.forbidden + 1,
      relayed: before.relayed + 1,
      atBookings: before.atBookings + 1,
    });
  });

  it('serves Prometheus metrics of the flow on every service, apart from the gateway routes', async () => {
    const scrape = async (service: string) => {
      const res = await request(platform.metricsUrls()[service]).get('').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text;
    };
    expect(Object.keys(platform.metricsUrls()).sort()).toEqual([
      'bookings',
      'gateway',
      'payouts',
      'referrals',
      'wallet',
    ]);
    const gateway = await scrape('gateway');
    expect(gateway).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/referrals\/me",status="200"\} [1-9]/m,
    );
    expect(gateway).toMatch(/^process_cpu_seconds_total /m);
    await eventually(async () => {
      const payouts = await scrape('payouts');
      expect(payouts).toMatch(/^payout_outcomes_total\{outcome="paid",reason="none"\} [1-9]/m);
      expect(payouts).toMatch(
        /^stripe_requests_total\{method="POST",endpoint="\/v1\/transfers",status="200"\} [1-9]/m,
      );
      expect(payouts).toMatch(
        /^kafka_consumer_lag_messages\{topic="payout-requested",partition="\d+"\} 0$/m,
      );
      const referrals = await scrape('referrals');
      expect(referrals).toMatch(
        /^reward_decisions_total\{decision="earned",reason="[a-z_]+"\} [1-9]/m,
      );
      expect(referrals).toMatch(/^outbox_backlog_events 0$/m);
      expect(referrals).toMatch(/^outbox_oldest_unpublished_age_seconds 0$/m);
    });
    expect(await scrape('bookings')).toMatch(
      /^outbox_published_total\{topic="lesson-completed",replay="false"\} [1-9]/m,
    );
    await eventually(async () =>
      expect(await scrape('wallet')).toMatch(
        /^kafka_consumer_lag_messages\{topic="reward-earned",partition="\d+"\} 0$/m,
      ),
    );
    // Nothing waits on a dependency: the series is declared, with no partition in it.
    const wallet = await scrape('wallet');
    expect(wallet).toMatch(/^# TYPE kafka_consumer_stalled_partitions gauge$/m);
    expect(wallet).not.toMatch(/^kafka_consumer_stalled_partitions\{/m);
    await gw().get('/metrics').expect(404);
  });
});
