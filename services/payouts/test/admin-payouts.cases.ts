import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import { callerHeaders, errorOf, eventually } from '@rewards/testing';
import request from 'supertest';
import { PayoutsHarness } from './payouts-harness';

const adminId = randomUUID();
// Signed per call, as the gateway does: an internal token lives a minute.
const admin = () => callerHeaders('payouts', adminId, 'admin');

interface Page {
  items: Array<{ id: string; beneficiaryId: string; status: string; requestedAt: string }>;
  nextCursor: string | null;
}
const pageOf = (res: { body: unknown }) => res.body as Page;

/**
 * Run inside payouts.int-spec.ts on its harness: one payouts app per run, since apps on the same
 * schema and consumer group would take each other's messages.
 */
export function adminPayoutsCases(h: PayoutsHarness): void {
  describe('admin payouts', () => {
    afterEach(() => h.job.idle());

    const api = () => request(h.service.url);

    /** A payout whose beneficiary's account cannot receive payouts, failed for good. */
    async function failedForGood() {
      const account = h.stripe.createAccount({ payoutsEnabled: false });
      const beneficiary = randomUUID();
      h.bookings.setAccount(beneficiary, account.id);
      const event = h.payoutRequested(beneficiary);
      await h.publish(event);
      await h.firstAttempt(event.payload.payoutId);
      h.clock.advance(h.config.PAYOUT_RETRY_WINDOW_MS + 1000);
      await h.job.runDueOnce();
      expect((await h.row(event.payload.payoutId))?.status).toBe('failed');
      return { payoutId: event.payload.payoutId, beneficiary, accountId: account.id };
    }

    it('counts payouts by status and attempts by outcome and failure reason', async () => {
      const since = h.clock.now().toISOString();
      const paid = h.payoutRequested(h.instructor());
      const short = h.payoutRequested(h.instructor());
      h.stripe.failNext(1, {
        status: 400,
        type: 'invalid_request_error',
        code: 'balance_insufficient',
        message: 'You have insufficient funds in your Stripe account.',
        endpoint: 'POST /v1/transfers',
      });
      await h.publish(short);
      await h.firstAttempt(short.payload.payoutId);
      await h.publish(paid);
      await h.firstAttempt(paid.payload.payoutId);

      const res = await api().get('/admin/payouts/stats').query({ since }).set(admin()).expect(200);

      expect(res.body).toMatchObject({
        payouts: {
          pending_transfer: { count: 1, amountCents: { USD: 7500 } },
          paid: { count: 1, amountCents: { USD: 7500 } },
          failed: { count: 0, amountCents: {} },
          reversed: { count: 0, amountCents: {} },
        },
        endedByReason: {},
      });
      // Attempts are counted by when they ran: other suites' payouts may be retried meanwhile,
      // with their own reasons; this test's failure is counted once, and the totals add up.
      const attempts = (
        res.body as {
          attempts: { succeeded: number; failed: number; failedByReason: Record<string, number> };
        }
      ).attempts;
      expect(attempts.failedByReason.STRIPE_BALANCE_INSUFFICIENT).toBe(1);
      expect(attempts.failed).toBe(
        Object.values(attempts.failedByReason).reduce((sum, n) => sum + n, 0),
      );
      expect(attempts.succeeded).toBeGreaterThanOrEqual(1);
      const all = await api().get('/admin/payouts/stats').set(admin()).expect(200);
      expect(
        (all.body as { attempts: { succeeded: number } }).attempts.succeeded,
      ).toBeGreaterThanOrEqual(1);
    });

    it('lists payouts by status and beneficiary, newest first, page by page', async () => {
      const beneficiary = h.instructor();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const event = h.payoutRequested(beneficiary);
        h.clock.advance(1000);
        await h.publish(event);
        await h.firstAttempt(event.payload.payoutId);
        ids.push(event.payload.payoutId);
      }
      const page = async (query: Record<string, string | number>) =>
        pageOf(await api().get('/admin/payouts').query(query).set(admin()).expect(200));

      const first = await page({ beneficiaryId: beneficiary, status: 'paid', limit: 2 });
      expect(first.items.map((p) => p.id)).toEqual([ids[2], ids[1]]);
      expect(first.items[0]).toMatchObject({ beneficiaryId: beneficiary, status: 'paid' });
      const second = await page({
        beneficiaryId: beneficiary,
        status: 'paid',
        limit: 2,
        cursor: first.nextCursor ?? '',
      });
      expect(second).toEqual({
        items: [expect.objectContaining({ id: ids[0] })],
        nextCursor: null,
      });

      expect((await page({ beneficiaryId: beneficiary, status: 'failed' })).items).toEqual([]);
      const requestedAt = first.items[1].requestedAt;
      const window = await page({
        beneficiaryId: beneficiary,
        from: requestedAt,
        to: first.items[0].requestedAt,
      });
      expect(window.items.map((p) => p.id)).toEqual([ids[1]]);
    });

    it.each([
      [{ status: 'lost' }, 'status'],
      [{ beneficiaryId: 'nobody' }, 'beneficiaryId'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-12-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' }, 'to'],
      [{ limit: 1000 }, 'limit'],
      [{ cursor: 'bm9wZQ' }, 'cursor'],
      [{ sort: 'amount' }, 'sort'],
    ])('refuses the list query %j with 422 naming the field', async (query, field) => {
      const res = await api().get('/admin/payouts').query(query).set(admin());
      expect([res.status, errorOf(res).code, errorOf(res).field]).toEqual([
        422,
        'VALIDATION_FAILED',
        field,
      ]);
    });

    it('refuses admin routes to anyone but an admin', async () => {
      const instructor = callerHeaders('payouts', randomUUID(), 'instructor');
      const list = await api().get('/admin/payouts').set(instructor);
      expect([list.status, errorOf(list).code]).toEqual([403, 'FORBIDDEN']);
      const retry = await api().post(`/admin/payouts/${randomUUID()}/retry`).set(instructor);
      expect([retry.status, errorOf(retry).code]).toEqual([403, 'FORBIDDEN']);
      await api().get('/admin/payouts/stats').expect(401);
    });

    it('retries a payout failed for good once, and pays it with one transfer', async () => {
      const { payoutId, accountId } = await failedForGood();
      h.stripe.setPayoutsEnabled(accountId, true);
      const retry = () => api().post(`/admin/payouts/${payoutId}/retry`).set(admin());

      const [first, second] = await Promise.all([retry(), retry()]);

      expect([first.status, second.status]).toEqual([200, 200]);
      await eventually(async () => {
        const row = await h.row(payoutId);
        if (
          row?.status === 'pending_transfer' &&
          row.unfinished_attempts === 0 &&
          row.attempts > 2
        ) {
          // On a loaded machine the attempt may run out of its lease-bound budget, or bookings
          // may not answer in time; its retry pays.
          h.clock.advance(h.config.PAYOUT_RETRY_INTERVAL_MS + 1);
          await h.job.runDueOnce();
        }
        const now = await h.row(payoutId);
        // The whole row on failure: why it is not paid.
        expect(now?.status === 'paid' ? 'paid' : now).toBe('paid');
      });
      await h.job.idle();
      const again = await retry().expect(200);
      expect(again.body).toMatchObject({ id: payoutId, status: 'paid' });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
      const [{ manual_retry_by: by }] = await h.sql<{ manual_retry_by: string }>(
        'SELECT manual_retry_by FROM payouts.payouts WHERE id = $1',
        [payoutId],
      );
      expect(by).toBe(adminId);
      // Failed for good, then failing for now (retried at once), then paid.
      await eventually(() => {
        const failed = h
          .published(Topics.PayoutFailed, payoutId)
          .map((m) => (JSON.parse(m.value) as { payload: { final: boolean } }).payload.final);
        expect(failed.slice(-2)).toEqual([true, false]);
        expect(h.published(Topics.PayoutPaid, payoutId)).toHaveLength(1);
      });
    });

    it('has the resume poll attempt a manually retried payout whose first try never ran', async () => {
      const { payoutId, accountId } = await failedForGood();
      h.stripe.setPayoutsEnabled(accountId, true);
      // Sent back as the retry does, but its immediate try lost the race for the row.
      await h.sql(
        `UPDATE payouts.payouts SET status = 'pending_transfer', failed_at = NULL,
           next_attempt_at = $2, manual_retry_at = $2 WHERE id = $1`,
        [payoutId, h.clock.now()],
      );

      await eventually(async () => expect((await h.row(payoutId))?.status).toBe('paid'), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      expect(h.transfersOf(payoutId)).toHaveLength(1);
    });

    it('sends a retried payout that fails again back to failed with a new window', async () => {
      const { payoutId } = await failedForGood();

      const res = await api().post(`/admin/payouts/${payoutId}/retry`).set(admin()).expect(200);

      expect(res.body).toMatchObject({ status: 'pending_transfer', failedAt: null });
      await eventually(async () =>
        expect(await h.row(payoutId)).toMatchObject({
          status: 'pending_transfer',
          attempts: 3,
          last_error_code: 'PAYOUTS_NOT_ENABLED',
        }),
      );
      expect(h.transfersOf(payoutId)).toHaveLength(0);
    });

    it('refuses to retry a payout that is not failed, or whose transfer Stripe failed', async () => {
      const { payoutId: paidId, transfer } = await h.paidPayout();
      const paid = await api().post(`/admin/payouts/${paidId}/retry`).set(admin());
      expect([paid.status, errorOf(paid).code]).toEqual([409, 'PAYOUT_NOT_RETRYABLE']);

      await h.deliverWebhook(h.stripe.transferEvent('transfer.failed', transfer.id));
      const failed = await api().post(`/admin/payouts/${paidId}/retry`).set(admin());
      expect([failed.status, errorOf(failed).code]).toEqual([409, 'PAYOUT_NOT_RETRYABLE']);
      expect(errorOf(failed).message).toContain(transfer.id);
      expect((await h.row(paidId))?.status).toBe('failed');

      const unknown = await api().post(`/admin/payouts/${randomUUID()}/retry`).set(admin());
      expect([unknown.status, errorOf(unknown).code]).toEqual([404, 'PAYOUT_NOT_FOUND']);
    });
  });
}
