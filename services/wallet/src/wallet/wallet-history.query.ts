import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { UserAccountKind } from '../ledger/ledger-account.entity';
import { LedgerTransactionKind } from '../ledger/ledger-transaction.entity';
import { toSafeInteger } from '../ledger/ledger-posting.entity';
import {
  EntryAccount,
  entryAccount,
  entryReason,
  isBookingSourced,
  isRewardSourced,
} from './entry-reason';

interface WalletEntryView {
  id: string;
  transactionId: string;
  kind: LedgerTransactionKind;
  /** Readable: what happened, for the user. */
  reason: string;
  /** The reward the entry comes from; null for a checkout movement. */
  rewardId: string | null;
  /** The booking a checkout movement belongs to; null otherwise. */
  bookingId: string | null;
  /**
   * `credit`: spendable credit; `debt`: what the user owes; `reserved`: held by a checkout;
   * `fee_rebate`: an instructor's platform-fee rebate.
   */
  account: EntryAccount;
  amount: { amountCents: number; currency: string };
  occurredAt: string;
}

export interface WalletHistoryPage {
  entries: WalletEntryView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE_SIZE = 20;

interface EntryRow {
  id: string;
  transaction_id: string;
  kind: LedgerTransactionKind;
  source_id: string;
  account_kind: UserAccountKind;
  amount_cents: string;
  currency: string;
  occurred_at: Date;
}

/** A user's entries, newest first, paged by keyset on the posting id (stable under new entries). */
@Injectable()
export class WalletHistory {
  constructor(private readonly dataSource: DataSource) {}

  async forOwner(
    ownerId: string,
    page: { limit?: number; cursor?: string },
  ): Promise<WalletHistoryPage> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.dataSource.query<EntryRow[]>(
      `SELECT p.id, p.transaction_id, t.kind, t.source_id, a.kind AS account_kind,
              p.amount_cents, p.currency, t.occurred_at
         FROM ledger_accounts a
         JOIN ledger_postings p ON p.account_id = a.id
         JOIN ledger_transactions t ON t.id = p.transaction_id
        WHERE a.owner_id = $1 AND ($2::bigint IS NULL OR p.id < $2::bigint)
        ORDER BY p.id DESC
        LIMIT $3`,
      [ownerId, page.cursor ?? null, limit + 1],
    );
    const shown = rows.slice(0, limit);
    return {
      entries: shown.map((r) => {
        const account = entryAccount(r.account_kind);
        return {
          id: String(r.id),
          transactionId: r.transaction_id,
          kind: r.kind,
          reason: entryReason(r.kind, account),
          rewardId: isRewardSourced(r.kind) ? r.source_id : null,
          bookingId: isBookingSourced(r.kind) ? r.source_id : null,
          account,
          amount: { amountCents: toSafeInteger(r.amount_cents), currency: r.currency.trim() },
          occurredAt: r.occurred_at.toISOString(),
        };
      }),
      nextCursor: rows.length > limit ? String(shown[shown.length - 1].id) : null,
    };
  }
}
