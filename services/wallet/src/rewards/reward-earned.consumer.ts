import { Injectable } from '@nestjs/common';
import { EventEnvelope, RewardEarnedV1 } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { fundingAccountFor } from './reward-ledger';
import { RewardRecords } from './reward-records';

/** An earned reward still on hold shows as pending in its beneficiary's wallet until it unlocks. */
@Injectable()
export class RewardEarnedConsumer {
  constructor(private readonly rewards: RewardRecords) {}

  async handle(event: EventEnvelope<RewardEarnedV1>, tx: EntityManager): Promise<void> {
    const reward = event.payload;
    // Cash bonuses are paid by payouts, never wallet credit: nothing pending here.
    if (fundingAccountFor(reward.kind) === null || reward.amount.amountCents === 0) return;
    const record = await this.rewards.lock(tx, reward.rewardId, reward.beneficiaryId);
    if (record.status !== 'open') return;
    await this.rewards.markPending(tx, reward.rewardId, reward.amount);
  }
}
