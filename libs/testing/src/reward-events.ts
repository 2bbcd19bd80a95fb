// A reward-unlocked event as referrals publishes it, for tests, the benchmarks and the chaos
// harness that credit a wallet without driving a whole referral: one place that knows its shape.
import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  EventEnvelope,
  money,
  RewardKind,
  RewardUnlockedV1,
  Topics,
} from '@rewards/contracts';

/** How long unlocked credit stays spendable unless a test says otherwise (about 6 months). */
const CREDIT_LIFETIME_MS = 180 * 86_400_000;

export interface UnlockedReward {
  beneficiaryId: string;
  amountCents: number;
  /** Student credit unless said. */
  kind?: RewardKind;
  /** A new one unless said (a replay of one reward names it). */
  rewardId?: string;
  /** Now unless said. */
  unlockedAt?: Date;
  /** 180 days after `unlockedAt` unless said. */
  expiresAt?: Date;
  /** The envelope's producer: referrals unless said. */
  producer?: string;
}

/** A reward-unlocked v1 envelope of `amountCents` USD, keyed by its reward id. */
export function rewardUnlockedEvent(reward: UnlockedReward): EventEnvelope<RewardUnlockedV1> {
  const rewardId = reward.rewardId ?? randomUUID();
  const unlockedAt = reward.unlockedAt ?? new Date();
  const expiresAt = reward.expiresAt ?? new Date(unlockedAt.getTime() + CREDIT_LIFETIME_MS);
  return createEnvelope({
    type: Topics.RewardUnlocked,
    version: 1,
    producer: reward.producer ?? 'referrals',
    key: rewardId,
    occurredAt: unlockedAt,
    payload: {
      rewardId,
      beneficiaryId: reward.beneficiaryId,
      kind: reward.kind ?? 'student_referral_credit',
      amount: money(reward.amountCents),
      expiresAt: expiresAt.toISOString(),
      unlockedAt: unlockedAt.toISOString(),
    },
  });
}
