import { StripeEventLike, transferEventEffect } from './transfer-event-effect';

const payoutId = '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01';
const transfer = (fields: Record<string, unknown> = {}) => ({
  id: 'tr_1',
  object: 'transfer',
  amount: 7500,
  amount_reversed: 0,
  reversed: false,
  transfer_group: payoutId,
  metadata: { payout_id: payoutId },
  ...fields,
});
const event = (type: string, object: unknown): StripeEventLike => ({
  id: 'evt_1',
  type,
  data: { object },
});

describe(transferEventEffect.name, () => {
  it('marks the payout failed on transfer.failed', () => {
    expect(transferEventEffect(event('transfer.failed', transfer()))).toMatchObject({
      payoutId,
      transferId: 'tr_1',
      status: 'failed',
      reason: 'TRANSFER_FAILED',
    });
  });

  it('marks the payout reversed on transfer.reversed, and on transfer.updated once reversed', () => {
    const reversed = transfer({ reversed: true, amount_reversed: 7500 });
    for (const type of ['transfer.reversed', 'transfer.updated']) {
      expect(transferEventEffect(event(type, reversed))).toMatchObject({
        status: 'reversed',
        reason: 'TRANSFER_REVERSED',
      });
    }
  });

  it('ignores a transfer.updated that does not show a reversal', () => {
    expect(transferEventEffect(event('transfer.updated', transfer()))).toBeUndefined();
  });

  it('finds the payout by metadata when the transfer group is not one of ours', () => {
    const effect = transferEventEffect(
      event('transfer.failed', transfer({ transfer_group: null })),
    );
    expect(effect?.payoutId).toBe(payoutId);
  });

  it.each([
    ['an unknown type', event('account.updated', transfer())],
    ['another object', event('transfer.failed', { id: 'po_1', object: 'payout' })],
    [
      'a transfer that is not ours',
      event('transfer.failed', transfer({ transfer_group: 'order-7', metadata: {} })),
    ],
  ])('has no effect for %s', (_what, e) => {
    expect(transferEventEffect(e)).toBeUndefined();
  });
});
