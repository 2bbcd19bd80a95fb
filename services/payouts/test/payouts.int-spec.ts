import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import {
  callerHeaders,
  errorOf,
  eventually,
  forgedCallerHeaders,
  testAdminUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { PayoutClaims } from '../src/payouts/payout-claims';
import { adminPayoutsCases } from './admin-payouts.cases';
import { PayoutsHarness } from './payouts-harness';
import { stripeDisciplineCases } from './stripe-discipline.cases';
import { stripeWebhookCases } from './stripe-webhooks.cases';

const as = (userId: string, roles = 'instructor') => callerHeaders('payouts', userId, roles);

describe('payouts service', () => {
  const h = new PayoutsHarness();

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  adminPayoutsCases(h);

  /** Makes every update that would mark the payout paid fail, as if the process died there. */
  async function crashBeforeRecordingPaid(payoutId: string): Promise<() => Promise<void>> {
    const trigger = `test_crash_${payoutId.replace(/-/g, '')}`;
    await h.sql(`
      CREATE OR REPLACE FUNCTION payouts.test_crash() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated crash'; END $$;
      CREATE TRIGGER ${trigger} BEFORE UPDATE ON payouts.payouts FOR EACH ROW
        WHEN (NEW.status = 'paid' AND NEW.id = '${payoutId}') EXECUTE FUNCTION payouts.test_crash();
    `);
    return async () => {
      await h.sql(`DROP TRIGGER ${trigger} ON payouts.payouts; DROP FUNCTION payouts.test_crash()`);
    };
  }

  /** Well under a minute of real time, and no sweep (every 15 minutes) runs meanwhile. */
  const RESUME_WINDOW = { timeoutMs: 3_000, intervalMs: 20 };

  it('pays a requested payout with one transfer and publishes payout-paid once', async () => {
    const beneficiary = h.instructor();
    const event = h.payoutRequested(beneficiary);
    const { payoutId, rewardId } = event.payload;

    await h.publish(event);

    const paid = await eventually(() => {
      const found = h.published(Topics.PayoutPaid, payoutId);
      expect(found).toHaveLength(1);
      return found[0];
    });
    const [transfer] = h.transfersOf(payoutId);
    expect(h.transfersOf(payoutId)).toHaveLength(1);
    expect(transfer).toMatchObject({
      amount: 7500,
      currency: 'usd',
      metadata: { payout_id: payoutId, reward_id: rewardId },
    });
    expect(h.transferPosts(payoutId)).toEqual([{ key: `payout-${payoutId}`, status: 200 }]);
    expect(paid.key).toBe(payoutId);
    expect(JSON.parse(paid.value)).toMatchObject({
      producer: 'payouts',
      payload: { rewardId, beneficiaryId: beneficiary, transferId: transfer.id },
    });
    const mine = await request(h.service.url).get('/payouts/me').set(as(beneficiary)).expect(200);
    expect(mine.body.items).toEqual([
      {
        id: payoutId,
        rewardId,
        beneficiaryId: beneficiary,
        amount: { amountCents: 7500, currency: 'USD' },
        status: 'paid',
        transferId: transfer.id,
        attempts: 1,
        lastError: null,
        nextAttemptAt: null,
        requestedAt: event.payload.requestedAt,
        paidAt: expect.any(String),
        failedAt: null,
      },
    ]);
    await request(h.service.url).get(`/payouts/${payoutId}`).set(as(beneficiary)).expect(200);
    // Another user's payout answers as a missing one does: no existence oracle.
    const other = await request(h.service.url).get(`/payouts/${payoutId}`).set(as(randomUUID()));
    const missing = await request(h.service.url)
      .get(`/payouts/${randomUUID()}`)
      .set(as(beneficiary));
    expect([other.status, errorOf(other).code]).toEqual([404, 'PAYOUT_NOT_FOUND']);
    expect(errorOf(other).message).toBe(errorOf(missing).message);
    expect(missing.status).toBe(404);
    await request(h.service.url)
      .get(`/payouts/${payoutId}`)
      .set(as(randomUUID(), 'admin'))
      .expect(200);
    await request(h.service.url).get('/payouts/me').expect(401);
  });

  it('makes one transfer when the request is delivered twice and requested again', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    const again = { ...event, id: randomUUID() };

    await h.publish(event);
    await h.publish(event);
    await h.publish(again);

    // Same key, same partition: once the last one is in the inbox, all three were consumed.
    await eventually(async () => {
      const seen = await h.sql('SELECT 1 FROM payouts.inbox_messages WHERE message_id = $1', [
        again.id,
      ]);
      expect(seen).toHaveLength(1);
    });
    await eventually(() => expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1));
    await h.job.idle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.transfersOf(payoutId)).toHaveLength(1);
    expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1);
  });

  it('dead-letters a malformed request with the reason and goes on with the next', async () => {
    const bad = h.payoutRequested(h.instructor());
    const malformed = { ...bad, payload: { ...bad.payload, beneficiaryId: 'not-a-uuid' } };
    const good = h.payoutRequested(h.instructor());
    await h.publish(malformed);
    await h.probe.produce(Topics.PayoutRequested, bad.key, 'not json at all');
    await h.publish(good, bad.key);

    const dead = await eventually(() => {
      const found = h.probe.find('payout-requested.dlq', (v) => v.id === bad.id);
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(dead.headers['dlq-reason']).toContain('beneficiaryId');
    await eventually(() =>
      expect(
        h.probe.find('payout-requested.dlq', (_v, m) => m.value === 'not json at all'),
      ).not.toHaveLength(0),
    );
    await eventually(async () => expect((await h.row(good.payload.payoutId))?.status).toBe('paid'));
    expect(await h.row(bad.payload.payoutId)).toBeUndefined();
  });

  it('records STRIPE_RATE_LIMITED once its backoffs are spent and pays at the sweep after the retry interval', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    // The first try and its two retries after a jittered backoff.
    h.stripe.failNext(3, {
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit',
      message: 'Too many requests.',
      endpoint: 'POST /v1/transfers',
    });

    await h.publish(event);

    expect(await h.firstAttempt(payoutId)).toMatchObject({
      status: 'pending_transfer',
      last_error_code: 'STRIPE_RATE_LIMITED',
    });
    await h.job.runDueOnce();
    expect((await h.row(payoutId))?.status).toBe('pending_transfer');

    h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1000);
    await h.job.runDueOnce();

    expect(await h.row(payoutId)).toMatchObject({
      status: 'paid',
      attempts: 2,
      last_error_code: null,
    });
    expect(await h.attempts(payoutId)).toMatchObject([
      { outcome: 'failed', error_code: 'STRIPE_RATE_LIMITED' },
      { outcome: 'succeeded', transfer_id: h.transfersOf(payoutId)[0].id },
    ]);
    expect(h.transfersOf(payoutId)).toHaveLength(1);
    expect(h.transferPosts(payoutId).map((r) => r.status)).toEqual([429, 429, 429, 200]);
    await eventually(() => expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1));
  });

  it('pays at the retry after STRIPE_BALANCE_INSUFFICIENT, though Stripe replays that error', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    h.stripe.failNext(1, {
      status: 400,
      type: 'invalid_request_error',
      code: 'balance_insufficient',
      message: 'You have insufficient funds in your Stripe account.',
      endpoint: 'POST /v1/transfers',
    });

    await h.publish(event);

    const first = await h.firstAttempt(payoutId);
    expect(first?.last_error_code).toBe('STRIPE_BALANCE_INSUFFICIENT');
    h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1000);
    await h.job.runDueOnce();

    expect(await h.row(payoutId)).toMatchObject({ status: 'paid', attempts: 2 });
    expect(h.transfersOf(payoutId)).toHaveLength(1);
  });

  it('reuses the transfer of an attempt that crashed before recording it', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    // The "crash": the paid update fails once Stripe has made the transfer.
    const restore = await crashBeforeRecordingPaid(payoutId);
    try {
      await h.publish(event);
      await eventually(() => expect(h.transfersOf(payoutId)).toHaveLength(1));
      await h.job.idle();
      expect(await h.row(payoutId)).toMatchObject({ status: 'pending_transfer', attempts: 0 });
    } finally {
      await restore();
    }
    // A day later Stripe no longer knows the idempotency key.
    h.stripe.forgetIdempotencyKeys();
    await h.job.runDueOnce();
    expect((await h.row(payoutId))?.status).toBe('pending_transfer');

    h.clock.advance(h.config.PAYOUT_LEASE_MS + 1000);
    await h.job.runDueOnce();
    // The resume poll may have been first; either way one attempt pays it.
    await h.job.idle();

    const [transfer] = h.transfersOf(payoutId);
    expect(await h.row(payoutId)).toMatchObject({ status: 'paid', transfer_id: transfer.id });
    expect(h.transfersOf(payoutId)).toHaveLength(1);
    expect(h.transferPosts(payoutId)).toHaveLength(1);
    await eventually(() => expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1));
  });

  it('records PAYOUT_ACCOUNT_MISSING and pays once the beneficiary connects an account', async () => {
    const beneficiary = randomUUID();
    h.bookings.setAccount(beneficiary, null);
    const event = h.payoutRequested(beneficiary);
    const { payoutId } = event.payload;

    await h.publish(event);

    expect(await h.firstAttempt(payoutId)).toMatchObject({
      last_error_code: 'PAYOUT_ACCOUNT_MISSING',
    });
    h.bookings.setAccount(beneficiary, h.stripe.createAccount().id);
    h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1000);
    await h.job.runDueOnce();
    expect(await h.row(payoutId)).toMatchObject({ status: 'paid', attempts: 2 });
  });

  it('waits with PAYOUTS_NOT_ENABLED visible and the next attempt announced, then fails for good after the window', async () => {
    const beneficiary = h.instructor({ payoutsEnabled: false });
    const event = h.payoutRequested(beneficiary);
    const { payoutId } = event.payload;
    const failedEvents = () =>
      h
        .published(Topics.PayoutFailed, payoutId)
        .map((m) => (JSON.parse(m.value) as { payload: Record<string, unknown> }).payload);

    await h.publish(event);

    expect(await h.firstAttempt(payoutId)).toMatchObject({
      status: 'pending_transfer',
      last_error_code: 'PAYOUTS_NOT_ENABLED',
    });
    const retryAt = new Date(
      h.clock.now().getTime() + h.config.PAYOUT_RETRY_INTERVAL_MS,
    ).toISOString();
    const mine = await request(h.service.url).get('/payouts/me').set(as(beneficiary)).expect(200);
    expect(mine.body.items[0]).toMatchObject({
      status: 'pending_transfer',
      lastError: {
        code: 'PAYOUTS_NOT_ENABLED',
        message: expect.stringContaining('cannot receive'),
      },
      nextAttemptAt: retryAt,
    });
    await eventually(() =>
      expect(failedEvents()).toEqual([
        expect.objectContaining({
          reason: 'PAYOUTS_NOT_ENABLED',
          final: false,
          nextAttemptAt: retryAt,
        }),
      ]),
    );

    h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1000);
    await h.job.runDueOnce();
    expect(await h.row(payoutId)).toMatchObject({ status: 'pending_transfer', attempts: 2 });
    await eventually(() => expect(failedEvents()).toHaveLength(2));
    expect(failedEvents().every((p) => p.final === false)).toBe(true);

    h.clock.advance(h.config.PAYOUT_RETRY_WINDOW_MS);
    await h.job.runDueOnce();

    expect(await h.row(payoutId)).toMatchObject({ status: 'failed', attempts: 3 });
    const failed = await eventually(() => {
      const found = failedEvents();
      expect(found).toHaveLength(3);
      return found[2];
    });
    expect(failed).toMatchObject({
      reason: 'PAYOUTS_NOT_ENABLED',
      final: true,
      nextAttemptAt: null,
    });
    expect(h.transfersOf(payoutId)).toHaveLength(0);
  });

  it('resumes an attempt interrupted after the transfer once its lease ends, with backoff and one transfer', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    const lease = h.config.PAYOUT_LEASE_MS;
    const restore = await crashBeforeRecordingPaid(payoutId);
    try {
      await h.publish(event);
      await eventually(() => expect(h.transfersOf(payoutId)).toHaveLength(1));
      await eventually(async () =>
        expect(await h.row(payoutId)).toMatchObject({ attempts: 0, unfinished_attempts: 1 }),
      );
      await h.job.idle();

      // Money moved, nothing recorded. The lease holds: no poll touches it meanwhile.
      await h.resumePolls();
      expect(await h.row(payoutId)).toMatchObject({
        status: 'pending_transfer',
        unfinished_attempts: 1,
      });

      // The lease ends; the next poll resumes it, and it is interrupted again.
      h.clock.advance(lease + 1);
      await eventually(
        async () => expect((await h.row(payoutId))?.unfinished_attempts).toBe(2),
        RESUME_WINDOW,
      );
      await h.job.idle();
    } finally {
      await restore();
    }

    // Backoff: the second interruption doubled the lease, so one lease later nothing happens.
    h.clock.advance(lease + 1);
    await h.resumePolls();
    expect(await h.row(payoutId)).toMatchObject({
      status: 'pending_transfer',
      unfinished_attempts: 2,
    });

    h.clock.advance(lease);
    await eventually(
      async () => expect((await h.row(payoutId))?.status).toBe('paid'),
      RESUME_WINDOW,
    );
    const [transfer] = h.transfersOf(payoutId);
    expect(await h.row(payoutId)).toMatchObject({
      transfer_id: transfer.id,
      attempts: 1,
      unfinished_attempts: 0,
    });
    expect(h.transfersOf(payoutId)).toHaveLength(1);
    expect(h.transferPosts(payoutId)).toEqual([{ key: `payout-${payoutId}`, status: 200 }]);
    await eventually(() => expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1));
  });

  it('resumes a claimed and abandoned retry within the resume window, not at the next sweep', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    h.stripe.failNext(3, {
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit',
      message: 'Too many requests.',
      endpoint: 'POST /v1/transfers',
    });
    await h.publish(event);
    expect(await h.firstAttempt(payoutId)).toMatchObject({
      last_error_code: 'STRIPE_RATE_LIMITED',
      unfinished_attempts: 0,
    });

    // A recorded failure keeps its hourly schedule: once due, the resume poll leaves it to the sweep.
    h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1000);
    await h.resumePolls();
    expect(await h.row(payoutId)).toMatchObject({ status: 'pending_transfer', attempts: 1 });

    // A replica claims it for the retry and dies before calling anyone.
    const claimed = await h.service.app.get(PayoutClaims).claim({ payoutId });
    expect(claimed?.id).toBe(payoutId);
    await h.resumePolls();
    expect(await h.row(payoutId)).toMatchObject({
      status: 'pending_transfer',
      unfinished_attempts: 1,
    });

    h.clock.advance(h.config.PAYOUT_LEASE_MS + 1);
    await eventually(
      async () => expect((await h.row(payoutId))?.status).toBe('paid'),
      RESUME_WINDOW,
    );
    expect(await h.row(payoutId)).toMatchObject({ attempts: 2, unfinished_attempts: 0 });
    expect(h.transfersOf(payoutId)).toHaveLength(1);
    expect(h.transferPosts(payoutId)).toEqual([
      { key: `payout-${payoutId}`, status: 429 },
      { key: `payout-${payoutId}`, status: 429 },
      { key: `payout-${payoutId}`, status: 429 },
      { key: `payout-${payoutId}-retry-1`, status: 200 },
    ]);
  });

  it('sweeps the payouts that came due while it was down when it starts', async () => {
    const beneficiary = h.instructor();
    const payoutId = randomUUID();
    const now = h.clock.now();
    // A retry that came due while the service was down: not resumable, so only a sweep pays it.
    await h.sql(
      `INSERT INTO payouts.payouts (id, reward_id, beneficiary_id, amount_cents, currency, status,
         attempts, next_attempt_at, last_error_code, last_error_message, requested_at,
         created_at, updated_at)
       VALUES ($1, $2, $3, 7500, 'USD', 'pending_transfer', 1, $4, 'STRIPE_RATE_LIMITED',
         'Too many requests.', $5, $5, $5)`,
      [payoutId, randomUUID(), beneficiary, new Date(now.getTime() - 1000), now],
    );
    await h.resumePolls();
    expect((await h.row(payoutId))?.status).toBe('pending_transfer');

    await h.restartService();

    await eventually(async () => expect((await h.row(payoutId))?.status).toBe('paid'));
    expect(h.transfersOf(payoutId)).toHaveLength(1);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while its database is unreachable', async () => {
    const beneficiary = randomUUID();
    await request(h.service.url).get('/payouts/me').set(as(beneficiary)).expect(200);
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      // The service's connections go, and its role may not open new ones.
      await admin.query('ALTER ROLE svc_payouts CONNECTION LIMIT 0');
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE usename = 'svc_payouts' AND application_name = 'payouts'`,
      );

      const res = await request(h.service.url).get('/payouts/me').set(as(beneficiary));

      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'the service is temporarily unavailable; retry later',
          requestId: expect.any(String),
        },
      });
      expect(res.text).not.toMatch(/svc_payouts|connection|terminat/i);
    } finally {
      await admin.query('ALTER ROLE svc_payouts CONNECTION LIMIT -1');
      await admin.end();
    }
    await eventually(() =>
      request(h.service.url).get('/payouts/me').set(as(beneficiary)).expect(200),
    );
  });
  stripeWebhookCases(h);
  stripeDisciplineCases(h);

  it('refuses forged identity headers: 401', async () => {
    const res = await request(h.service.url)
      .get('/payouts/me')
      .set(forgedCallerHeaders(randomUUID(), 'instructor'))
      .expect(401);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });
});
