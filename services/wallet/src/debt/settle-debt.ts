import { Injectable } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { accountRefKey, userAccount } from '../ledger/legs';
import { PostTransaction } from '../ledger/post-transaction';
import { CreditLots } from '../lots/credit-lots';

export interface SettleDebtCommand {
  ownerId: string;
  currency: Currency;
  /** The credit that pays the debt back; its id makes the settlement's reference. */
  sourceId: string;
  traceparent?: string;
}

const debtSettlementKey = (sourceId: string): string => `debt-settlement:${sourceId}`;

/** How much of a debt a credit balance pays back: all of it when the balance covers it. */
export function planDebtSettlement(owedCents: number, availableCents: number): number {
  return Math.max(0, Math.min(owedCents, availableCents));
}

/**
 * Pays back what a user owes (a void that found the credit already spent) from their credit,
 * before they can spend it: run right after a credit, in its transaction.
 */
@Injectable()
export class SettleDebt {
  constructor(
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  /** Returns the amount settled (0 when nothing was owed). */
  async execute(tx: EntityManager, command: SettleDebtCommand): Promise<number> {
    const { ownerId, currency, sourceId } = command;
    const debtRef = userAccount('user_debt', ownerId, currency);
    const creditRef = userAccount('user_credit', ownerId, currency);
    // Both found, locked and read in one statement.
    const locked = await this.accounts.findAndLock(tx, [debtRef, creditRef]);
    const debt = locked.get(accountRefKey(debtRef));
    const credit = locked.get(accountRefKey(creditRef));
    if (!debt || !credit) return 0;
    const owedCents = -(debt.balanceCents ?? 0);
    const availableCents = credit.balanceCents ?? 0;
    const settleCents = planDebtSettlement(owedCents, availableCents);
    if (settleCents === 0) return 0;
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: debtSettlementKey(sourceId),
      kind: 'debt_settlement',
      sourceId,
      occurredAt: this.clock.now(),
      legs: [
        { account: creditRef, amountCents: -settleCents },
        { account: debtRef, amountCents: settleCents },
      ],
      note: `${settleCents} ${currency} of credit paid back what a voided reward left owing`,
    });
    if (!posted.created) return 0;
    await this.lots.take(tx, credit.id, posted.transaction.id, settleCents);
    const now = this.clock.now();
    await this.outbox.add(
      tx,
      Topics.WalletDebited,
      ownerId,
      {
        transactionId: posted.transaction.id,
        ownerId,
        amount: { amountCents: settleCents, currency },
        sourceId,
        debitedAt: now.toISOString(),
      },
      { occurredAt: now, traceparent: command.traceparent },
    );
    return settleCents;
  }
}
