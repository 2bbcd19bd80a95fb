import { Topics } from '@rewards/contracts';
import { errorOf, eventually, stripeEvent, stripeSignatureHeader } from '@rewards/testing';
import { PayoutsHarness } from './payouts-harness';

/**
 * Run inside payouts.int-spec.ts on its harness: one payouts app per run, since apps on the same
 * schema and consumer group would take each other's messages.
 */
export function stripeWebhookCases(h: PayoutsHarness): void {
  describe('Stripe webhooks', () => {
    const eventsOf = (payoutId: string) =>
      h.sql<{ id: string; type: string; outcome: string }>(
        'SELECT id, type, outcome FROM payouts.stripe_webhook_events WHERE payout_id = $1 ORDER BY received_at, id',
        [payoutId],
      );

    const failedEvents = (payoutId: string) =>
      h
        .published(Topics.PayoutFailed, payoutId)
        .map((m) => (JSON.parse(m.value) as { payload: Record<string, unknown> }).payload);

    it('marks a paid payout reversed on transfer.reversed and publishes payout-failed once', async () => {
      const { payoutId, transfer } = await h.paidPayout();
      h.stripe.reverseTransfer(transfer.id);
      const reversed = h.stripe.transferEvent('transfer.reversed', transfer.id);

      const res = await h.deliverWebhook(reversed);

      expect([res.status, res.body]).toEqual([200, { received: true, outcome: 'applied' }]);
      expect(await h.row(payoutId)).toMatchObject({
        status: 'reversed',
        transfer_id: transfer.id,
        last_error_code: 'TRANSFER_REVERSED',
      });
      const [failed] = await eventually(() => {
        const found = failedEvents(payoutId);
        expect(found).toHaveLength(1);
        return found;
      });
      expect(failed).toMatchObject({ payoutId, reason: 'TRANSFER_REVERSED', final: true });

      // Stripe redelivers: the same id is acknowledged and changes nothing.
      const again = await h.deliverWebhook(reversed);
      expect([again.status, again.body.outcome]).toEqual([200, 'duplicate']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(failedEvents(payoutId)).toHaveLength(1);
      expect(await eventsOf(payoutId)).toEqual([
        { id: reversed.id, type: 'transfer.reversed', outcome: 'applied' },
      ]);
    });

    it('applies events out of order without moving a payout back', async () => {
      const { payoutId, transfer } = await h.paidPayout();
      // An update from before the reversal, sent after it.
      const before = h.stripe.transferEvent('transfer.updated', transfer.id, {
        created: new Date(h.clock.now().getTime() - 60_000),
      });
      h.stripe.reverseTransfer(transfer.id);
      const updated = h.stripe.transferEvent('transfer.updated', transfer.id, {
        previousAttributes: { reversed: false },
      });
      const reversed = h.stripe.transferEvent('transfer.reversed', transfer.id);

      expect((await h.deliverWebhook(updated)).body.outcome).toBe('applied');
      expect((await h.deliverWebhook(before)).body.outcome).toBe('ignored');
      expect((await h.deliverWebhook(reversed)).body.outcome).toBe('ignored');
      const failed = h.stripe.transferEvent('transfer.failed', transfer.id);
      expect((await h.deliverWebhook(failed)).body.outcome).toBe('ignored');

      expect((await h.row(payoutId))?.status).toBe('reversed');
      await eventually(() => expect(failedEvents(payoutId)).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(failedEvents(payoutId)).toHaveLength(1);
    });

    it('marks a payout failed on transfer.failed with the reason', async () => {
      const { payoutId, transfer } = await h.paidPayout();

      const res = await h.deliverWebhook(h.stripe.transferEvent('transfer.failed', transfer.id));

      expect(res.body.outcome).toBe('applied');
      expect(await h.row(payoutId)).toMatchObject({
        status: 'failed',
        last_error_code: 'TRANSFER_FAILED',
      });
      await eventually(() =>
        expect(failedEvents(payoutId)).toMatchObject([{ reason: 'TRANSFER_FAILED', final: true }]),
      );
    });

    it('acknowledges and ignores event types it does not handle', async () => {
      const event = stripeEvent('account.updated', { id: 'acct_1', object: 'account' });

      const res = await h.deliverWebhook(event);

      expect([res.status, res.body.outcome]).toEqual([200, 'ignored']);
      const [row] = await h.sql('SELECT outcome FROM payouts.stripe_webhook_events WHERE id = $1', [
        event.id,
      ]);
      expect(row).toEqual({ outcome: 'ignored' });
    });

    it.each([
      ['signed with another secret', { secret: 'whsec_someone_else' }],
      ['signed more than 300 s ago', { signedAt: 'stale' as const }],
      ['without a signature', { signature: null }],
      ['with a malformed signature', { signature: 'v1=deadbeef' }],
    ])(
      'refuses an event %s with 400 STRIPE_SIGNATURE_INVALID and changes nothing',
      async (_what, opts) => {
        const { payoutId, transfer } = await h.paidPayout();
        h.stripe.reverseTransfer(transfer.id);
        const event = h.stripe.transferEvent('transfer.reversed', transfer.id);
        const signedAt =
          'signedAt' in opts ? new Date(h.clock.now().getTime() - 301_000) : undefined;

        const res = await h.deliverWebhook(event, {
          ...('secret' in opts ? { secret: opts.secret } : {}),
          ...('signature' in opts ? { signature: opts.signature } : {}),
          signedAt,
        });

        expect(res.status).toBe(400);
        expect(errorOf(res).code).toBe('STRIPE_SIGNATURE_INVALID');
        expect((await h.row(payoutId))?.status).toBe('paid');
        expect(await eventsOf(payoutId)).toEqual([]);
      },
    );

    it('refuses a body changed after signing', async () => {
      const { payoutId, transfer } = await h.paidPayout();
      const event = h.stripe.transferEvent('transfer.failed', transfer.id);
      const signature = stripeSignatureHeader(
        JSON.stringify(event),
        h.config.STRIPE_WEBHOOK_SECRET,
        h.clock.now(),
      );
      // Same JSON value, other bytes: a proxy that re-serialized it would break the signature too.
      const res = await h.deliverWebhook(JSON.stringify(event, null, 1), { signature });

      expect([res.status, errorOf(res).code]).toEqual([400, 'STRIPE_SIGNATURE_INVALID']);
      expect((await h.row(payoutId))?.status).toBe('paid');
    });
  });
}
