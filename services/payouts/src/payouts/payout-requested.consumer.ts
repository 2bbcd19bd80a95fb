import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventEnvelope, PayoutRequestedV1, Topics } from '@rewards/contracts';
import { InboxContext } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { AfterCommit } from '../db/after-commit';
import { ProcessDuePayoutsJob } from './process-due-payouts.job';

/**
 * Records a requested payout as pending_transfer, due now. Stripe is called after the inbox
 * transaction commits, never inside it.
 */
@Controller()
export class PayoutRequestedConsumer {
  constructor(
    private readonly afterCommit: AfterCommit,
    private readonly job: ProcessDuePayoutsJob,
    private readonly clock: Clock,
  ) {}

  @EventPattern(Topics.PayoutRequested)
  payoutRequested(
    @Payload() event: EventEnvelope<PayoutRequestedV1>,
    @Ctx() { tx }: InboxContext,
  ): Promise<void> {
    return this.handle(event, tx);
  }

  async handle(event: EventEnvelope<PayoutRequestedV1>, tx: EntityManager): Promise<void> {
    const p = event.payload;
    const now = this.clock.now();
    // One reward, one payout: a second payoutId for it is a producer bug, left for the DLQ.
    const [other] = await tx.query<Array<{ id: string }>>(
      'SELECT id FROM payouts WHERE reward_id = $1 AND id <> $2',
      [p.rewardId, p.payoutId],
    );
    if (other) {
      throw new Error(`reward ${p.rewardId} already has payout ${other.id}; ${p.payoutId} refused`);
    }
    // A repeated request for the same payout changes nothing.
    await tx.query(
      `INSERT INTO payouts (id, reward_id, beneficiary_id, amount_cents, currency, status, attempts,
         next_attempt_at, requested_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'pending_transfer', 0, $6, $7, $6, $6)
       ON CONFLICT (id) DO NOTHING`,
      [
        p.payoutId,
        p.rewardId,
        p.beneficiaryId,
        p.amount.amountCents,
        p.amount.currency,
        now,
        p.requestedAt,
      ],
    );
    this.afterCommit.schedule(tx, () => this.job.processSoon(p.payoutId));
  }
}
