import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { PayoutsConfig } from '../config/payouts.config';
import { Payout } from './payout.entity';
import { payoutFailedEvent } from './payout-failed-event';
import { nextStepAfterFailure } from './retry-policy';
import { TransferFailure } from './transfer-failure';
import { TransferAttempt } from './transfer-attempt.entity';

/**
 * Records what a transfer attempt learnt, with its event, in one transaction, and only while
 * the attempt still holds the payout's lease (the fence): a paid payout publishes payout-paid;
 * a failure publishes payout-failed, saying when the next attempt is or that none will follow.
 */
@Injectable()
export class RecordTransferOutcome {
  private readonly logger = new Logger(RecordTransferOutcome.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
  ) {}

  async paid(payout: Payout, transfer: Stripe.Transfer): Promise<'paid' | 'superseded'> {
    const now = this.clock.now();
    const destination =
      typeof transfer.destination === 'string' ? transfer.destination : transfer.destination?.id;
    const recorded = await this.dataSource.transaction(async (tx) => {
      const current = await this.lockPending(tx, payout);
      if (!current) return 'superseded' as const;
      await this.appendAttempt(tx, payout.id, now, { transferId: transfer.id });
      await tx.update(
        Payout,
        { id: payout.id },
        {
          status: 'paid',
          transferId: transfer.id,
          stripeAccountId: destination ?? null,
          paidAt: now,
          attempts: current.attempts + 1,
          unfinishedAttempts: 0,
          leaseToken: null,
          nextAttemptAt: null,
          lastErrorCode: null,
          lastErrorMessage: null,
          updatedAt: now,
        },
      );
      await this.outbox.add(
        tx,
        Topics.PayoutPaid,
        payout.id,
        {
          payoutId: current.id,
          rewardId: current.rewardId,
          beneficiaryId: current.beneficiaryId,
          amount: { amountCents: current.amountCents, currency: current.currency as Currency },
          transferId: transfer.id,
          paidAt: now.toISOString(),
        },
        { occurredAt: now },
      );
      return 'paid' as const;
    });
    if (recorded === 'paid') this.relay.kick();
    return recorded;
  }

  async failure(
    payout: Payout,
    failure: TransferFailure,
    transferMayExist: boolean,
  ): Promise<'retrying' | 'failed' | 'superseded'> {
    const now = this.clock.now();
    const result = await this.dataSource.transaction(async (tx) => {
      const current = await this.lockPending(tx, payout);
      if (!current) return 'superseded' as const;
      await this.appendAttempt(tx, payout.id, now, { failure });
      const step = nextStepAfterFailure({
        now,
        // An admin's manual retry opens a new window.
        requestedAt: latest(current.requestedAt, current.manualRetryAt),
        retryIntervalMs: this.config.PAYOUT_RETRY_INTERVAL_MS,
        retryWindowMs: this.config.PAYOUT_RETRY_WINDOW_MS,
        transferMayExist,
        uncertainRetryMs: this.config.PAYOUT_UNCERTAIN_RETRY_MS,
      });
      const nextAttemptAt = step.kind === 'retry' ? step.at : null;
      await tx.update(
        Payout,
        { id: payout.id },
        {
          attempts: current.attempts + 1,
          unfinishedAttempts: 0,
          leaseToken: null,
          // A create that may have happened keeps its key, so repeating it cannot make a second.
          transferKeyGeneration: current.transferKeyGeneration + (transferMayExist ? 0 : 1),
          lastErrorCode: failure.code,
          lastErrorMessage: failure.message,
          updatedAt: now,
          nextAttemptAt,
          ...(nextAttemptAt === null ? { status: 'failed' as const, failedAt: now } : {}),
        },
      );
      await this.outbox.add(
        tx,
        Topics.PayoutFailed,
        payout.id,
        payoutFailedEvent(current, { reason: failure.code, nextAttemptAt, failedAt: now }),
        { occurredAt: now },
      );
      return nextAttemptAt === null ? ('failed' as const) : ('retrying' as const);
    });
    if (result !== 'superseded') this.relay.kick();
    this.logger.warn({
      message: 'transfer attempt failed',
      payoutId: payout.id,
      code: failure.code,
      reason: failure.message,
      next: result,
    });
    return result;
  }

  /**
   * The payout, locked, if it still awaits its transfer and the claim is still the attempt's
   * own (the fence: a resumed attempt that took over the lease owns the outcome now).
   */
  private async lockPending(tx: EntityManager, claimed: Payout): Promise<Payout | null> {
    const current = await tx.findOne(Payout, {
      where: { id: claimed.id },
      lock: { mode: 'pessimistic_write' },
    });
    if (current?.status === 'pending_transfer' && current.leaseToken === claimed.leaseToken) {
      return current;
    }
    this.logger.warn({
      message:
        current?.status === 'pending_transfer'
          ? 'lease taken over by another attempt; outcome not recorded'
          : 'payout settled by someone else',
      payoutId: claimed.id,
      status: current?.status,
    });
    return null;
  }

  private async appendAttempt(
    tx: EntityManager,
    payoutId: string,
    at: Date,
    result: { transferId: string } | { failure: TransferFailure },
  ): Promise<void> {
    const failed = 'failure' in result;
    await tx.insert(TransferAttempt, {
      id: randomUUID(),
      payoutId,
      attemptedAt: at,
      outcome: failed ? 'failed' : 'succeeded',
      errorCode: failed ? result.failure.code : null,
      errorMessage: failed ? result.failure.message : null,
      transferId: failed ? null : result.transferId,
    });
  }
}

function latest(a: Date, b: Date | null): Date {
  return b !== null && b.getTime() > a.getTime() ? b : a;
}
