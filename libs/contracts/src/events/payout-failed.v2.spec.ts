import { createEnvelope } from '../envelope';
import { CurrentEvents, parseEnvelope } from '../registry';
import { Topics } from '../topics';
import { PayoutFailedV1 } from './payout-failed.v1';
import { PayoutFailedV2 } from './payout-failed.v2';

const v1 = {
  payoutId: '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  rewardId: '1b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  beneficiaryId: '2b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01',
  amount: { amountCents: 7500, currency: 'USD' },
  reason: 'PAYOUTS_NOT_ENABLED',
  final: true,
  failedAt: '2026-11-21T11:00:00.000Z',
};
const retrying = { ...v1, final: false, nextAttemptAt: '2026-11-21T12:00:00.000Z' };

const raw = (version: number, payload: object) =>
  JSON.stringify(
    createEnvelope({
      type: Topics.PayoutFailed,
      version,
      producer: 'payouts',
      key: v1.payoutId,
      payload,
      occurredAt: new Date(v1.failedAt),
    }),
  );

describe(PayoutFailedV2.name, () => {
  it('is what producers publish on payout-failed', () => {
    expect(CurrentEvents[Topics.PayoutFailed]).toEqual({ version: 2, payload: PayoutFailedV2 });
  });

  it('carries when a failure that is not final is retried', () => {
    const event = parseEnvelope(raw(2, retrying), Topics.PayoutFailed);
    expect(event.payload).toBeInstanceOf(PayoutFailedV2);
    expect(event.payload).toMatchObject({ final: false, nextAttemptAt: retrying.nextAttemptAt });
  });

  it('accepts a final failure with no next attempt', () => {
    expect(() => parseEnvelope(raw(2, { ...v1, nextAttemptAt: null }))).not.toThrow();
  });

  it.each([
    ['a failure that is not final without a next attempt', { ...retrying, nextAttemptAt: null }],
    ['a next attempt that is not a time', { ...retrying, nextAttemptAt: 'soon' }],
    ['a final failure that omits the field', v1],
  ])('refuses %s', (_what, payload) => {
    expect(() => parseEnvelope(raw(2, payload))).toThrow('nextAttemptAt');
  });

  it('leaves v1 readable beside it', () => {
    const event = parseEnvelope(raw(1, v1), Topics.PayoutFailed);
    expect(event.version).toBe(1);
    expect(event.payload).toBeInstanceOf(PayoutFailedV1);
  });
});
