import { Injectable, Logger } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { PayoutsError } from '../payouts-error';
import { Payout } from '../payouts/payout.entity';
import { payoutFailedEvent } from '../payouts/payout-failed-event';
import { ProcessDuePayoutsJob } from '../payouts/process-due-payouts.job';

/**
 * An admin sends a payout that failed for good back to its transfer attempts, with a new retry
 * window. Only a payout no transfer was ever recorded for: one whose transfer Stripe failed or
 * reversed would be found again by its transfer group and counted as paid. The attempt runs
 * like any other (transfer-group lookup first), so no retry can make a second transfer; it is
 * tried at once, and by the resume poll if that try lost the race for the row. Calling
 * it again for the same payout answers the same and does nothing more.
 */
@Injectable()
export class RetryFailedPayout {
  private readonly logger = new Logger(RetryFailedPayout.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly job: ProcessDuePayoutsJob,
  ) {}

  async execute(payoutId: string, admin: CallerIdentity): Promise<Payout> {
    const now = this.clock.now();
    const { payout, reopened } = await this.dataSource.transaction(async (tx) => {
      const current = await tx.findOne(Payout, {
        where: { id: payoutId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) throw new PayoutsError('PAYOUT_NOT_FOUND', 'no such payout');
      if (current.status !== 'failed') {
        // Sent back already (by this admin's earlier call or another's): nothing more to do.
        if (current.manualRetryAt !== null && current.status !== 'reversed') {
          return { payout: current, reopened: false };
        }
        throw new PayoutsError(
          'PAYOUT_NOT_RETRYABLE',
          `payout is ${current.status}; only a failed payout can be retried`,
        );
      }
      if (current.transferId !== null) {
        throw new PayoutsError(
          'PAYOUT_NOT_RETRYABLE',
          `Stripe failed transfer ${current.transferId} of this payout; resolve it on Stripe`,
        );
      }
      const changes = {
        status: 'pending_transfer' as const,
        nextAttemptAt: now,
        failedAt: null,
        unfinishedAttempts: 0,
        leaseToken: null,
        manualRetryAt: now,
        manualRetryBy: admin.userId,
        updatedAt: now,
      };
      await tx.update(Payout, { id: payoutId }, changes);
      // Still failed, no longer for good: referrals shows it retrying.
      await this.outbox.add(
        tx,
        Topics.PayoutFailed,
        payoutId,
        payoutFailedEvent(current, {
          reason: current.lastErrorCode ?? 'MANUAL_RETRY',
          nextAttemptAt: now,
          failedAt: now,
        }),
        { occurredAt: now },
      );
      return { payout: { ...current, ...changes }, reopened: true };
    });
    if (reopened) {
      this.logger.warn({
        message: 'failed payout sent back to its attempts',
        payoutId,
        by: admin.userId,
      });
      this.relay.kick();
      this.job.processSoon(payoutId);
    }
    return payout;
  }
}
