import { Injectable, Logger } from '@nestjs/common';
import {
  Currency,
  EventEnvelope,
  RewardVoidedV1,
  RewardVoidedV2,
  Topics,
} from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager, In } from 'typeorm';
import { isUserAccountKind, LedgerAccount } from '../ledger/ledger-account.entity';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { LedgerPosting } from '../ledger/ledger-posting.entity';
import { LedgerTransaction } from '../ledger/ledger-transaction.entity';
import { AccountRef, Leg, userAccount } from '../ledger/legs';
import { PostTransaction } from '../ledger/post-transaction';
import { CreditLots } from '../lots/credit-lots';
import { planRewardVoid, rewardVoidKey, rewardVoidNote } from './reward-ledger';
import { RewardRecords } from './reward-records';

interface CreditLegs {
  user: LedgerAccount;
  ownerId: string;
  funding: LedgerAccount;
  creditedCents: number;
}

/**
 * A voided reward takes back what is left of its credit; what was already spent becomes a debt
 * the user's next credit pays back first, recorded in the void's note. A void of a reward not
 * credited yet leaves a tombstone, so its unlock, whenever it comes, credits nothing.
 */
@Injectable()
export class RewardVoidedConsumer {
  private readonly logger = new Logger(RewardVoidedConsumer.name);

  constructor(
    private readonly rewards: RewardRecords,
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  /** v1 and v2 are applied alike: whether credit exists to claw back is read from the ledger. */
  async handle(
    event: EventEnvelope<RewardVoidedV1 | RewardVoidedV2>,
    tx: EntityManager,
  ): Promise<void> {
    const { rewardId, reason, beneficiaryId } = event.payload;
    const record = await this.rewards.lock(tx, rewardId, beneficiaryId);
    if (record.status === 'voided') return;
    if (record.status === 'open' || record.creditTransactionId === null) {
      await this.rewards.markVoided(tx, rewardId, reason, null);
      return;
    }
    const credit = await tx.findOneByOrFail(LedgerTransaction, {
      id: record.creditTransactionId,
    });
    const legs = await this.creditLegs(tx, credit);
    // Read the balance under the same lock the posting takes, so the amount cannot go stale.
    await this.accounts.lock(tx, [legs.user.id]);
    const balance = await this.accounts.balanceCents(tx, legs.user.id);
    const plan = planRewardVoid(legs.creditedCents, balance);
    const currency = legs.user.currency as Currency;
    const reversal: Leg[] = [];
    if (plan.recoverCents > 0) {
      reversal.push(
        { account: refOf(legs.user, currency), amountCents: -plan.recoverCents },
        { account: refOf(legs.funding, currency), amountCents: plan.recoverCents },
      );
    }
    if (plan.shortfallCents > 0) {
      // What was spent is owed: the platform gets it back from the user's next credit.
      reversal.push(
        {
          account: userAccount('user_debt', legs.ownerId, currency),
          amountCents: -plan.shortfallCents,
        },
        { account: refOf(legs.funding, currency), amountCents: plan.shortfallCents },
      );
    }
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: rewardVoidKey(rewardId),
      kind: 'reward_void',
      sourceId: rewardId,
      occurredAt: new Date(event.payload.voidedAt),
      legs: reversal,
      note: rewardVoidNote(reason, plan.shortfallCents, currency),
    });
    await this.rewards.markVoided(tx, rewardId, reason, posted.transaction.id);
    if (!posted.created) return;
    if (plan.recoverCents > 0 && legs.user.kind === 'user_credit') {
      // Its own lot first: what is left of this reward's credit is what goes back.
      const ownLot = await this.lots.lotOfCredit(tx, credit.id);
      await this.lots.take(tx, legs.user.id, posted.transaction.id, plan.recoverCents, ownLot);
    }
    if (plan.shortfallCents > 0) {
      this.logger.warn({
        message: 'reward-voided: credit already spent, now owed',
        rewardId,
        ...plan,
        currency,
      });
    }
    if (plan.recoverCents === 0) return;
    const { ownerId } = legs;
    const now = this.clock.now();
    await this.outbox.add(
      tx,
      Topics.WalletDebited,
      ownerId,
      {
        transactionId: posted.transaction.id,
        ownerId,
        amount: { amountCents: plan.recoverCents, currency },
        sourceId: rewardId,
        debitedAt: now.toISOString(),
      },
      { occurredAt: now, traceparent: event.traceparent },
    );
  }

  /** The credited user account, the account that funded it and the amount, from the ledger. */
  private async creditLegs(tx: EntityManager, credit: LedgerTransaction): Promise<CreditLegs> {
    const postings = await tx.findBy(LedgerPosting, { transactionId: credit.id });
    const accounts = await tx.findBy(LedgerAccount, { id: In(postings.map((p) => p.accountId)) });
    const legs = postings.map((posting) => ({
      posting,
      account: accounts.find((a) => a.id === posting.accountId),
    }));
    const user = legs.find(
      (l) => l.posting.amountCents > 0 && l.account && isUserAccountKind(l.account.kind),
    );
    const funding = legs.find((l) => l.posting.amountCents < 0);
    const ownerId = user?.account?.ownerId;
    if (legs.length !== 2 || !user?.account || !funding?.account || !ownerId) {
      throw new Error(`ledger transaction ${credit.id} is not a reward credit`);
    }
    return {
      user: user.account,
      ownerId,
      funding: funding.account,
      creditedCents: user.posting.amountCents,
    };
  }
}

function refOf(account: LedgerAccount, currency: Currency): AccountRef {
  return { kind: account.kind, ownerId: account.ownerId, currency };
}
