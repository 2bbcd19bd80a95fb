import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import { eventually } from '@rewards/testing';
import request from 'supertest';
import { TRANSFER_LEASE_MS } from '../src/payouts/transfer-payout.usecase';
import { PayoutsHarness } from './payouts-harness';

const as = (userId: string, roles = 'instructor') => ({
  'x-user-id': userId,
  'x-user-roles': roles,
});

describe('payouts service', () => {
  const h = new PayoutsHarness();

  beforeAll(() => h.start());
  afterAll(() => h.stop());

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
        amount: { amountCents: 7500, currency: 'USD' },
        status: 'paid',
        transferId: transfer.id,
        attempts: 1,
        lastError: null,
        requestedAt: event.payload.requestedAt,
        paidAt: expect.any(String),
      },
    ]);
    await request(h.service.url).get(`/payouts/${payoutId}`).set(as(beneficiary)).expect(200);
    const other = await request(h.service.url).get(`/payouts/${payoutId}`).set(as(randomUUID()));
    expect([other.status, other.body.error.code]).toEqual([403, 'PAYOUT_NOT_YOURS']);
    await request(h.service.url)
      .get(`/payouts/${payoutId}`)
      .set(as(randomUUID(), 'admin'))
      .expect(200);
    await request(h.service.url).get(`/payouts/${randomUUID()}`).set(as(beneficiary)).expect(404);
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

  it('records STRIPE_RATE_LIMITED and pays at the sweep after the retry interval', async () => {
    const event = h.payoutRequested(h.instructor());
    const { payoutId } = event.payload;
    h.stripe.failNext(1, {
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
    expect(h.transferPosts(payoutId).map((r) => r.status)).toEqual([429, 200]);
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
    const trigger = `test_crash_${payoutId.replace(/-/g, '')}`;
    await h.sql(`
      CREATE OR REPLACE FUNCTION payouts.test_crash() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated crash'; END $$;
      CREATE TRIGGER ${trigger} BEFORE UPDATE ON payouts.payouts FOR EACH ROW
        WHEN (NEW.status = 'paid' AND NEW.id = '${payoutId}') EXECUTE FUNCTION payouts.test_crash();
    `);
    try {
      await h.publish(event);
      await eventually(() => expect(h.transfersOf(payoutId)).toHaveLength(1));
      await h.job.idle();
      expect(await h.row(payoutId)).toMatchObject({ status: 'pending_transfer', attempts: 0 });
    } finally {
      await h.sql(`DROP TRIGGER ${trigger} ON payouts.payouts; DROP FUNCTION payouts.test_crash()`);
    }
    // A day later Stripe no longer knows the idempotency key.
    h.stripe.forgetIdempotencyKeys();
    await h.job.runDueOnce();
    expect((await h.row(payoutId))?.status).toBe('pending_transfer');

    h.clock.advance(TRANSFER_LEASE_MS + 1000);
    await h.job.runDueOnce();

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

  it('records PAYOUTS_NOT_ENABLED and publishes a final payout-failed after the window', async () => {
    const event = h.payoutRequested(h.instructor({ payoutsEnabled: false }));
    const { payoutId } = event.payload;

    await h.publish(event);

    expect(await h.firstAttempt(payoutId)).toMatchObject({
      status: 'pending_transfer',
      last_error_code: 'PAYOUTS_NOT_ENABLED',
    });
    h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1000);
    await h.job.runDueOnce();
    expect(await h.row(payoutId)).toMatchObject({ status: 'pending_transfer', attempts: 2 });
    expect(h.published(Topics.PayoutFailed, payoutId)).toHaveLength(0);

    h.clock.advance(h.config.PAYOUT_RETRY_WINDOW_MS);
    await h.job.runDueOnce();

    expect(await h.row(payoutId)).toMatchObject({ status: 'failed', attempts: 3 });
    const failed = await eventually(() => {
      const found = h.published(Topics.PayoutFailed, payoutId);
      expect(found).toHaveLength(1);
      return JSON.parse(found[0].value);
    });
    expect(failed.payload).toMatchObject({ reason: 'PAYOUTS_NOT_ENABLED', final: true });
    expect(h.transfersOf(payoutId)).toHaveLength(0);
  });
});
