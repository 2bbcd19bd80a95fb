import { Injectable, Logger } from '@nestjs/common';
import { EventEnvelope, RewardUnlockedV1, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { platformAccount, userAccount } from '../ledger/legs';
import { PostTransaction } from '../ledger/post-transaction';
import { fundingAccountFor, rewardCreditKey } from './reward-ledger';

/** An unlocked reward becomes spendable credit, announced by wallet-credited in the same commit. */
@Injectable()
export class RewardUnlockedConsumer {
  private readonly logger = new Logger(RewardUnlockedConsumer.name);

  constructor(
    private readonly postTransaction: PostTransaction,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<RewardUnlockedV1>, tx: EntityManager): Promise<void> {
    const reward = event.payload;
    const funding = fundingAccountFor(reward.kind);
    if (funding === null || reward.amount.amountCents === 0) {
      this.logger.log({
        message: 'reward-unlocked: nothing to credit',
        rewardId: reward.rewardId,
        kind: reward.kind,
      });
      return;
    }
    const { amountCents, currency } = reward.amount;
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: rewardCreditKey(reward.rewardId),
      kind: 'reward_credit',
      sourceId: reward.rewardId,
      occurredAt: new Date(reward.unlockedAt),
      legs: [
        { account: userAccount('user_credit', reward.beneficiaryId, currency), amountCents },
        { account: platformAccount(funding, currency), amountCents: -amountCents },
      ],
    });
    // A replay (same reward, new message id) found the earlier credit: announced already.
    if (!posted.created) return;
    const now = this.clock.now();
    await this.outbox.add(
      tx,
      Topics.WalletCredited,
      reward.beneficiaryId,
      {
        transactionId: posted.transaction.id,
        ownerId: reward.beneficiaryId,
        amount: { amountCents, currency },
        sourceId: reward.rewardId,
        creditedAt: now.toISOString(),
      },
      { occurredAt: now, traceparent: event.traceparent },
    );
  }
}
