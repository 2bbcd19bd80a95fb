import { Injectable, Logger } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { Payout } from '../payouts/payout.entity';
import { payoutFailedEvent } from '../payouts/payout-failed-event';
import { StripeEventLike, TransferEventEffect, transferEventEffect } from './transfer-event-effect';

/** `duplicate`: this event id was applied before; `ignored`: recorded, but it changes nothing. */
export type StripeEventOutcome = 'applied' | 'ignored' | 'duplicate';

/**
 * Applies one verified Stripe event, once: its id is inserted first, so a concurrent or later
 * redelivery waits on it and then finds it there; the payout change and its payout-failed
 * event commit in the same transaction.
 */
@Injectable()
export class ApplyStripeEventUseCase {
  private readonly logger = new Logger(ApplyStripeEventUseCase.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  async execute(event: StripeEventLike & { created: number }): Promise<StripeEventOutcome> {
    const now = this.clock.now();
    const effect = transferEventEffect(event);
    const outcome = await this.dataSource.transaction(async (tx) => {
      const inserted = await tx.query<unknown[]>(
        `INSERT INTO stripe_webhook_events (id, type, stripe_created_at, received_at, outcome, payout_id)
         VALUES ($1, $2, to_timestamp($3), $4, 'ignored', $5)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [event.id, event.type, event.created, now, effect?.payoutId ?? null],
      );
      if (inserted.length === 0) return 'duplicate' as const;
      if (!effect || !(await this.applyEffect(tx, effect, now))) return 'ignored' as const;
      await tx.query(`UPDATE stripe_webhook_events SET outcome = 'applied' WHERE id = $1`, [
        event.id,
      ]);
      return 'applied' as const;
    });
    if (outcome === 'applied') this.relay.kick();
    this.logger.log({
      message: 'stripe event received',
      eventId: event.id,
      type: event.type,
      outcome,
      payoutId: effect?.payoutId,
    });
    return outcome;
  }

  /** Whether the payout changed: only one awaiting or holding this transfer moves. */
  private async applyEffect(
    tx: EntityManager,
    effect: TransferEventEffect,
    now: Date,
  ): Promise<boolean> {
    const payout = await tx.findOne(Payout, {
      where: { id: effect.payoutId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!payout || (payout.status !== 'pending_transfer' && payout.status !== 'paid')) {
      return false;
    }
    // A second transfer for the payout (never meant to exist) does not undo the one recorded.
    if (payout.transferId !== null && payout.transferId !== effect.transferId) {
      this.logger.error({
        message: 'stripe event about a transfer other than the payout’s',
        payoutId: payout.id,
        transferId: effect.transferId,
        recorded: payout.transferId,
      });
      return false;
    }
    await tx.update(
      Payout,
      { id: payout.id },
      {
        status: effect.status,
        transferId: effect.transferId,
        failedAt: now,
        nextAttemptAt: null,
        unfinishedAttempts: 0,
        lastErrorCode: effect.reason,
        lastErrorMessage: effect.message,
        updatedAt: now,
      },
    );
    await this.outbox.add(
      tx,
      Topics.PayoutFailed,
      payout.id,
      payoutFailedEvent(payout, { reason: effect.reason, nextAttemptAt: null, failedAt: now }),
      { occurredAt: now },
    );
    return true;
  }
}
