import { LedgerTransactionKind } from '../ledger/ledger-transaction.entity';

export type EntryAccount = 'credit' | 'debt';

/** What a wallet entry means to the user who reads it. */
export function entryReason(kind: LedgerTransactionKind, account: EntryAccount): string {
  switch (kind) {
    case 'reward_credit':
      return 'Referral reward unlocked';
    case 'reward_void':
      return account === 'credit'
        ? 'Referral reward voided: unspent credit taken back'
        : 'Referral reward voided after it was spent: now owed';
    case 'debt_settlement':
      return account === 'credit'
        ? 'Paid back what a voided reward left owing'
        : 'Owed amount paid back from new credit';
    case 'credit_expiry':
      return 'Credit expired unspent';
    case 'credit_spend':
      return 'Spent at checkout';
  }
}

/** Entries of these kinds come from a reward, whose id is their source. */
export function isRewardSourced(kind: LedgerTransactionKind): boolean {
  switch (kind) {
    case 'reward_credit':
    case 'reward_void':
    case 'debt_settlement':
    case 'credit_expiry':
      return true;
    case 'credit_spend':
      return false;
  }
}
