import { Topics } from '@rewards/contracts';
import { eventually, InjectedFailure } from '@rewards/testing';
import { DataSource } from 'typeorm';
import { PayoutsConfig } from '../src/config/payouts.config';
import { PayoutClaims } from '../src/payouts/payout-claims';
import { TransferPayoutUseCase } from '../src/payouts/transfer-payout.usecase';
import { StripeRateLimiter } from '../src/stripe/stripe-rate-limiter';
import { PayoutsHarness, STRIPE_TIMEOUT_MS } from './payouts-harness';

const CREATE = 'POST /v1/transfers';

const conflict: InjectedFailure = {
  status: 409,
  type: 'idempotency_error',
  code: 'idempotency_key_in_use',
  message: 'There is currently another in-progress request using this Idempotent Key.',
  endpoint: CREATE,
};

/** Answered after the client gave up: the SDK sees a timeout. */
const slow: InjectedFailure = {
  status: 500,
  type: 'api_error',
  message: 'late',
  endpoint: CREATE,
  delayMs: STRIPE_TIMEOUT_MS * 2,
};

/** Stripe's side failed; nothing was done unless `executed`. */
const serverError: InjectedFailure = {
  status: 500,
  type: 'api_error',
  message: 'An unknown error occurred',
  endpoint: CREATE,
};

/**
 * Run inside payouts.int-spec.ts on its harness: one payouts app per run, since apps on the same
 * schema and consumer group would take each other's messages.
 */
export function stripeDisciplineCases(h: PayoutsHarness): void {
  describe('payouts and Stripe: conflicts, timeouts, leases, rate', () => {
    afterEach(() => h.job.idle());

    async function requested() {
      const event = h.payoutRequested(h.instructor());
      await h.publish(event);
      return event.payload.payoutId;
    }

    it('pays at once after a 409 whose concurrent request made the transfer, found by transfer group', async () => {
      h.stripe.failNext(1, { ...conflict, executed: true });
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({ status: 'paid', attempts: 1 });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
      expect(h.transferPosts(payoutId)).toEqual([{ key: `payout-${payoutId}`, status: 409 }]);
      await eventually(() => expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1));
    });

    it('retries a 409 that made nothing soon, with the same idempotency key', async () => {
      h.stripe.failNext(1, conflict);
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({
        status: 'pending_transfer',
        last_error_code: 'STRIPE_IDEMPOTENCY_CONFLICT',
      });
      h.clock.advance(h.config.PAYOUT_UNCERTAIN_RETRY_MS + 1);
      await h.job.runDueOnce();

      expect(await h.row(payoutId)).toMatchObject({ status: 'paid', attempts: 2 });
      expect(h.transferPosts(payoutId)).toEqual([
        { key: `payout-${payoutId}`, status: 409 },
        { key: `payout-${payoutId}`, status: 200 },
      ]);
      expect(h.transfersOf(payoutId)).toHaveLength(1);
    });

    it('pays at once when a create timed out after Stripe made the transfer', async () => {
      h.stripe.failNext(1, { ...slow, executed: true });
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({ status: 'paid', attempts: 1 });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
      expect(await h.attempts(payoutId)).toMatchObject([
        { outcome: 'succeeded', transfer_id: h.transfersOf(payoutId)[0].id },
      ]);
    });

    it('retries a create that timed out without a transfer with the same key, and pays once', async () => {
      h.stripe.failNext(1, slow);
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({
        status: 'pending_transfer',
        last_error_code: 'STRIPE_UNAVAILABLE',
      });
      expect(h.transfersOf(payoutId)).toHaveLength(0);
      h.clock.advance(h.config.PAYOUT_UNCERTAIN_RETRY_MS + 1);
      await h.job.runDueOnce();

      expect(await h.row(payoutId)).toMatchObject({ status: 'paid', attempts: 2 });
      expect(h.transferPosts(payoutId).map((p) => p.key)).toEqual([
        `payout-${payoutId}`,
        `payout-${payoutId}`,
      ]);
      expect(h.transfersOf(payoutId)).toHaveLength(1);
    });

    it('pays at once after a 500 whose request Stripe carried out, found by transfer group', async () => {
      h.stripe.failNext(1, { ...serverError, executed: true });
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({ status: 'paid', attempts: 1 });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
      expect(h.transferPosts(payoutId)).toEqual([{ key: `payout-${payoutId}`, status: 500 }]);
    });

    it('retries a 500 that made nothing soon, with the same key, and pays once', async () => {
      h.stripe.failNext(1, serverError);
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({
        status: 'pending_transfer',
        last_error_code: 'STRIPE_UNAVAILABLE',
      });
      h.clock.advance(h.config.PAYOUT_UNCERTAIN_RETRY_MS + 1);
      await h.job.runDueOnce();

      expect(await h.row(payoutId)).toMatchObject({ status: 'paid', attempts: 2 });
      expect(h.transferPosts(payoutId)).toEqual([
        { key: `payout-${payoutId}`, status: 500 },
        { key: `payout-${payoutId}`, status: 200 },
      ]);
      expect(h.transfersOf(payoutId)).toHaveLength(1);
    });

    it('finds a transfer made by a create that timed out once Stripe forgot its key, a day later', async () => {
      h.stripe.failNext(1, { ...slow, executed: true });
      const payoutId = await requested();
      // While the create is held back, the lookup that follows its timeout is made to fail too.
      await eventually(() => expect(h.transferPosts(payoutId)).toHaveLength(1), {
        timeoutMs: 20_000,
        intervalMs: 10,
      });
      h.stripe.failNext(1, { ...serverError, endpoint: 'GET /v1/transfers' });

      expect(await h.firstAttempt(payoutId)).toMatchObject({
        status: 'pending_transfer',
        last_error_code: 'STRIPE_UNAVAILABLE',
      });
      expect(h.transfersOf(payoutId)).toHaveLength(1);

      // 25 hours on, Stripe no longer knows the key: a create would make a second transfer.
      h.clock.advance(25 * 3_600_000);
      h.stripe.forgetIdempotencyKeys();
      await h.job.runDueOnce();

      const [transfer] = h.transfersOf(payoutId);
      expect(await h.row(payoutId)).toMatchObject({ status: 'paid', transfer_id: transfer.id });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
      expect(h.transferPosts(payoutId)).toHaveLength(1);
    });

    it('retries a 429 within the attempt after a jittered backoff', async () => {
      h.stripe.failNext(2, {
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit',
        message: 'Too many requests.',
        endpoint: CREATE,
      });
      const payoutId = await requested();

      expect(await h.firstAttempt(payoutId)).toMatchObject({ status: 'paid', attempts: 1 });
      expect(h.transferPosts(payoutId)).toEqual([
        { key: `payout-${payoutId}`, status: 429 },
        { key: `payout-${payoutId}`, status: 429 },
        { key: `payout-${payoutId}`, status: 200 },
      ]);
    });

    it('fences an attempt whose lease was taken over: its outcome is not recorded, the new one is', async () => {
      const event = h.payoutRequested(h.instructor());
      const { payoutId } = event.payload;
      // Due for its retry after one recorded attempt: only a claim takes it (the resume poll
      // takes never-attempted or interrupted payouts, and would race the test for this one).
      await h.sql(
        `INSERT INTO payouts.payouts (id, reward_id, beneficiary_id, amount_cents, currency, status,
         attempts, next_attempt_at, requested_at, created_at, updated_at)
       VALUES ($1, $2, $3, 7500, 'USD', 'pending_transfer', 1, $4, $4, $4, $4)`,
        [payoutId, event.payload.rewardId, event.payload.beneficiaryId, h.clock.now()],
      );
      const claims = h.service.app.get(PayoutClaims);
      const transfer = h.service.app.get(TransferPayoutUseCase);
      const stale = await claims.claim({ payoutId });
      // The first attempt stalls past its lease; another replica claims the payout.
      h.clock.advance(h.config.PAYOUT_LEASE_MS + 1);
      const current = await claims.claim({ payoutId });
      expect(stale && current && stale.leaseToken !== current.leaseToken).toBe(true);

      // The stalled attempt wakes up, makes the transfer, and may not record it.
      expect(await transfer.run(stale!)).toEqual({ kind: 'superseded', payoutId });
      expect(await h.row(payoutId)).toMatchObject({ status: 'pending_transfer', attempts: 1 });
      expect(await h.attempts(payoutId)).toEqual([]);

      // The attempt holding the lease finds that transfer and records it.
      expect(await transfer.run(current!)).toEqual({ kind: 'paid', payoutId });
      expect(await h.row(payoutId)).toMatchObject({ status: 'paid', attempts: 2 });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
    });

    it('holds Stripe calls of several limiters to the configured rate in any second', async () => {
      const dataSource = h.service.app.get(DataSource);
      const config = { STRIPE_RATE_LIMIT_PER_SECOND: 4 } as PayoutsConfig;
      const replicas = [1, 2, 3].map(() => new StripeRateLimiter(dataSource, config));
      const [{ since }] = await h.sql<{ since: Date }>('SELECT clock_timestamp() AS since');

      const got = await Promise.all(
        Array.from({ length: 13 }, (_, i) => replicas[i % 3].acquire()),
      );

      expect(got.every(Boolean)).toBe(true);
      const grants = await h.sql<{ at: string }>(
        `SELECT (extract(epoch FROM granted_at) * 1000000)::bigint AS at
         FROM payouts.stripe_rate_grants WHERE granted_at >= $1 ORDER BY granted_at`,
        [since],
      );
      const times = grants.map((g) => Number(g.at) / 1000);
      expect(times).toHaveLength(13);
      // Any 5 consecutive grants span at least a second: never 5 within one.
      for (let i = 4; i < times.length; i++) {
        expect(times[i] - times[i - 4]).toBeGreaterThanOrEqual(1000);
      }
    });

    it('gives up waiting for a slot at the deadline', async () => {
      const dataSource = h.service.app.get(DataSource);
      const limiter = new StripeRateLimiter(dataSource, {
        STRIPE_RATE_LIMIT_PER_SECOND: 1,
      } as PayoutsConfig);
      await limiter.acquire();
      // The second slot of the same second cannot come within 20 ms (unless the second just ended).
      const results = await Promise.all(
        [1, 2, 3].map(() => limiter.acquire(performance.now() + 20)),
      );
      expect(results.filter((r) => !r).length).toBeGreaterThanOrEqual(1);
    });
  });
}
