import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LedgerTransactionKind } from '../ledger/ledger-transaction.entity';
import { toSafeInteger } from '../ledger/ledger-posting.entity';

export interface MoneyView {
  amountCents: number;
  currency: string;
}

export interface WalletEntryView {
  transactionId: string;
  kind: LedgerTransactionKind;
  sourceId: string;
  amount: MoneyView;
  occurredAt: string;
}

export interface WalletStatementView {
  ownerId: string;
  balances: MoneyView[];
  entries: WalletEntryView[];
}

const ENTRIES_SHOWN = 50;

interface BalanceRow {
  currency: string;
  balance: string;
}

interface EntryRow {
  transaction_id: string;
  kind: LedgerTransactionKind;
  source_id: string;
  amount_cents: string;
  currency: string;
  occurred_at: Date;
}

/** A user's spendable balances, summed from postings, and their latest entries. */
@Injectable()
export class WalletStatement {
  constructor(private readonly dataSource: DataSource) {}

  async forOwner(ownerId: string): Promise<WalletStatementView> {
    // One snapshot, so the balances always equal what the entries add up to.
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      const balances = await tx.query<BalanceRow[]>(
        `SELECT currency, balance_cents AS balance FROM ledger_accounts
          WHERE owner_id = $1 AND kind = 'user_credit'
          ORDER BY currency`,
        [ownerId],
      );
      const entries = await tx.query<EntryRow[]>(
        `SELECT p.transaction_id, t.kind, t.source_id, p.amount_cents, p.currency, t.occurred_at
           FROM ledger_postings p
           JOIN ledger_accounts a ON a.id = p.account_id
           JOIN ledger_transactions t ON t.id = p.transaction_id
          WHERE a.owner_id = $1
          ORDER BY p.id DESC
          LIMIT $2`,
        [ownerId, ENTRIES_SHOWN],
      );
      return {
        ownerId,
        balances: balances.map((b) => ({
          amountCents: toSafeInteger(b.balance),
          currency: b.currency,
        })),
        entries: entries.map((e) => ({
          transactionId: e.transaction_id,
          kind: e.kind,
          sourceId: e.source_id,
          amount: { amountCents: toSafeInteger(e.amount_cents), currency: e.currency },
          occurredAt: e.occurred_at.toISOString(),
        })),
      };
    });
  }
}
