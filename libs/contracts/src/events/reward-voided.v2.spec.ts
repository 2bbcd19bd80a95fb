import { randomUUID } from 'node:crypto';
import { createEnvelope } from '../envelope';
import { parseEnvelope } from '../registry';
import { Topics } from '../topics';

const payload = (extra: Record<string, unknown>) => ({
  rewardId: randomUUID(),
  beneficiaryId: randomUUID(),
  reason: 'REFUNDED_AFTER_UNLOCK',
  voidedAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});

const raw = (version: number, body: object) =>
  JSON.stringify(
    createEnvelope({
      type: Topics.RewardVoided,
      version,
      producer: 'referrals',
      key: 'k',
      payload: body,
      occurredAt: new Date('2026-12-01T00:00:00Z'),
    }),
  );

describe('reward-voided v2', () => {
  it('carries the clawback flag', () => {
    const parsed = parseEnvelope(raw(2, payload({ clawback: true })), Topics.RewardVoided);
    expect(parsed.payload).toMatchObject({ clawback: true });
  });

  it('refuses a v2 without the flag', () => {
    expect(() => parseEnvelope(raw(2, payload({})), Topics.RewardVoided)).toThrow(/clawback/);
  });

  it('still reads v1, which has no flag', () => {
    expect(parseEnvelope(raw(1, payload({})), Topics.RewardVoided).version).toBe(1);
  });
});
