import { Injectable, Logger } from '@nestjs/common';
import { EventEnvelope, RewardUnlockedV1, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { WalletConfig } from '../config/wallet.config';
import { SettleDebt } from '../debt/settle-debt';
import { platformAccount, userAccount } from '../ledger/legs';
import { PostTransaction } from '../ledger/post-transaction';
import { creditExpiry } from '../lots/credit-expiry';
import { CreditLots } from '../lots/credit-lots';
import { creditedAccountFor, fundingAccountFor, rewardCreditKey } from './reward-ledger';
import { RewardRecords } from './reward-records';

/**
 * An unlocked reward becomes spendable credit, a lot with its own expiry date, announced by
 * wallet-credited in the same commit, unless a void of it came first. What the user owes from an
 * earlier void is paid back from it first.
 */
@Injectable()
export class RewardUnlockedConsumer {
  private readonly logger = new Logger(RewardUnlockedConsumer.name);

  constructor(
    private readonly rewards: RewardRecords,
    private readonly postTransaction: PostTransaction,
    private readonly settleDebt: SettleDebt,
    private readonly lots: CreditLots,
    private readonly config: WalletConfig,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope<RewardUnlockedV1>, tx: EntityManager): Promise<void> {
    const reward = event.payload;
    const funding = fundingAccountFor(reward.kind);
    const credited = creditedAccountFor(reward.kind);
    if (funding === null || credited === null || reward.amount.amountCents === 0) {
      this.logger.log({
        message: 'reward-unlocked: nothing to credit',
        rewardId: reward.rewardId,
        kind: reward.kind,
      });
      return;
    }
    const record = await this.rewards.lock(tx, reward.rewardId, reward.beneficiaryId);
    if (record.status === 'voided') {
      this.logger.log({ message: 'reward-unlocked: already voided', rewardId: reward.rewardId });
      return;
    }
    // A replay (same reward, new message id): credited and announced already.
    if (record.status === 'credited') return;
    const { amountCents, currency } = reward.amount;
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: rewardCreditKey(reward.rewardId),
      kind: 'reward_credit',
      sourceId: reward.rewardId,
      occurredAt: new Date(reward.unlockedAt),
      legs: [
        { account: userAccount(credited, reward.beneficiaryId, currency), amountCents },
        { account: platformAccount(funding, currency), amountCents: -amountCents },
      ],
    });
    await this.rewards.markCredited(tx, reward.rewardId, posted.transaction.id);
    if (!posted.created) return;
    const userPosting = posted.postings.find((p) => p.amountCents > 0);
    if (!userPosting) throw new Error(`reward credit ${posted.transaction.id} has no user leg`);
    const unlockedAt = new Date(reward.unlockedAt);
    // Credit is spent and expires lot by lot; a fee rebate is used up by lessons, never expires.
    if (credited === 'user_credit') {
      await this.lots.open(tx, {
        accountId: userPosting.accountId,
        ownerId: reward.beneficiaryId,
        rewardId: reward.rewardId,
        transactionId: posted.transaction.id,
        currency,
        amountCents,
        unlockedAt,
        expiresAt: creditExpiry(
          unlockedAt,
          new Date(reward.expiresAt),
          this.config.CREDIT_LIFETIME_MONTHS,
        ),
      });
    }
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
    await this.settleDebt.execute(tx, {
      ownerId: reward.beneficiaryId,
      currency,
      sourceId: reward.rewardId,
      traceparent: event.traceparent,
    });
  }
}
