import { Currency, PayoutFailedV2 } from '@rewards/contracts';
import { Payout } from './payout.entity';

/**
 * The payout-failed payload of a payout: `nextAttemptAt` says when it is tried again, null when
 * no attempt will follow (the failure is final).
 */
export function payoutFailedEvent(
  payout: Payout,
  failure: { reason: string; nextAttemptAt: Date | null; failedAt: Date },
): PayoutFailedV2 {
  return {
    payoutId: payout.id,
    rewardId: payout.rewardId,
    beneficiaryId: payout.beneficiaryId,
    amount: { amountCents: payout.amountCents, currency: payout.currency as Currency },
    reason: failure.reason,
    final: failure.nextAttemptAt === null,
    nextAttemptAt: failure.nextAttemptAt?.toISOString() ?? null,
    failedAt: failure.failedAt.toISOString(),
  };
}
