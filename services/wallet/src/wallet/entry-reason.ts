import { UserAccountKind } from '../ledger/ledger-account.entity';
import { LedgerTransactionKind } from '../ledger/ledger-transaction.entity';

/**
 * Which of the user's accounts an entry moved: spendable `credit`, `debt` owed, credit or rebate
 * `reserved` by a checkout in progress, or an instructor's `fee_rebate`.
 */
export type EntryAccount = 'credit' | 'debt' | 'reserved' | 'fee_rebate';

export function entryAccount(kind: UserAccountKind): EntryAccount {
  switch (kind) {
    case 'user_credit':
      return 'credit';
    case 'user_debt':
      return 'debt';
    case 'user_reserved':
      return 'reserved';
    case 'user_fee_rebate':
      return 'fee_rebate';
  }
}

/** What a wallet entry means to the user who reads it. */
export function entryReason(kind: LedgerTransactionKind, account: EntryAccount): string {
  switch (kind) {
    case 'reward_credit':
      return account === 'fee_rebate' ? 'Platform-fee rebate unlocked' : 'Referral reward unlocked';
    case 'reward_void':
      return account === 'debt'
        ? 'Referral reward voided after it was spent: now owed'
        : 'Referral reward voided: unspent credit taken back';
    case 'debt_settlement':
      return account === 'debt'
        ? 'Owed amount paid back from new credit'
        : 'Paid back what a voided reward left owing';
    case 'credit_expiry':
      return 'Credit expired unspent';
    case 'credit_spend':
      return 'Spent at checkout';
    case 'checkout_reserve':
      return account === 'reserved'
        ? 'Held for a booking being confirmed'
        : account === 'fee_rebate'
          ? 'Fee rebate held for a booking being confirmed'
          : 'Credit held for a booking being confirmed';
    case 'checkout_capture':
      return account === 'debt'
        ? 'Booking confirmed after its hold lapsed: the part no longer available is owed'
        : 'Applied to a confirmed booking';
    case 'checkout_release':
      return account === 'reserved'
        ? 'Hold released: booking not confirmed'
        : 'Returned: the booking was not confirmed';
    case 'checkout_refund':
      return 'Refunded: booking cancelled';
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
    case 'checkout_reserve':
    case 'checkout_capture':
    case 'checkout_release':
    case 'checkout_refund':
      return false;
  }
}

/** Entries of these kinds come from a booking's checkout, whose booking id is their source. */
export function isBookingSourced(kind: LedgerTransactionKind): boolean {
  switch (kind) {
    case 'checkout_reserve':
    case 'checkout_capture':
    case 'checkout_release':
    case 'checkout_refund':
      return true;
    case 'reward_credit':
    case 'reward_void':
    case 'debt_settlement':
    case 'credit_expiry':
    case 'credit_spend':
      return false;
  }
}
