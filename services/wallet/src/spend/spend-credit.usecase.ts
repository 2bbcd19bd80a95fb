import { Injectable } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { platformAccount, userAccount } from '../ledger/legs';
import { PostedTransaction, PostTransaction } from '../ledger/post-transaction';
import { CreditLots } from '../lots/credit-lots';
import { WalletError } from '../wallet-error';

export interface SpendCreditCommand {
  ownerId: string;
  amountCents: number;
  currency: Currency;
  /** The caller's request key (e.g. a checkout id): a replay returns the first spend. */
  reference: string;
  /** What the credit paid for, e.g. a booking id. */
  sourceId: string;
  traceparent?: string;
}

/**
 * Takes credit out of a wallet, soonest-expiring lot first; what checkout will call to apply
 * credit to a booking. Refuses with INSUFFICIENT_CREDIT rather than go below zero.
 */
@Injectable()
export class SpendCredit {
  constructor(
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  async execute(tx: EntityManager, command: SpendCreditCommand): Promise<PostedTransaction> {
    const { ownerId, amountCents, currency } = command;
    if (!Number.isSafeInteger(amountCents) || amountCents <= 0) {
      throw new WalletError(
        'INVALID_AMOUNT',
        `amountCents must be a positive integer, got ${amountCents}`,
      );
    }
    const credit = userAccount('user_credit', ownerId, currency);
    const now = this.clock.now();
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: command.reference,
      kind: 'credit_spend',
      sourceId: command.sourceId,
      occurredAt: now,
      legs: [
        { account: credit, amountCents: -amountCents },
        { account: platformAccount('platform_credit_redeemed', currency), amountCents },
      ],
    });
    if (!posted.created) return posted;
    const account = await this.accounts.find(tx, credit);
    if (!account) throw new Error(`credit account of ${ownerId} vanished`);
    await this.lots.take(tx, account.id, posted.transaction.id, amountCents);
    await this.outbox.add(
      tx,
      Topics.WalletDebited,
      ownerId,
      {
        transactionId: posted.transaction.id,
        ownerId,
        amount: { amountCents, currency },
        sourceId: command.sourceId,
        debitedAt: now.toISOString(),
      },
      { occurredAt: now, traceparent: command.traceparent },
    );
    return posted;
  }
}
