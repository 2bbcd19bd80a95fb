import { LEDGER_TRANSACTION_KINDS } from '../ledger/ledger-transaction.entity';
import { USER_ACCOUNT_KINDS } from '../ledger/ledger-account.entity';
import { entryAccount, entryReason, isBookingSourced, isRewardSourced } from './entry-reason';

describe(entryReason.name, () => {
  it('explains a void differently on the credit and on the debt it leaves', () => {
    expect(entryReason('reward_void', 'credit')).toBe(
      'Referral reward voided: unspent credit taken back',
    );
    expect(entryReason('reward_void', 'debt')).toBe(
      'Referral reward voided after it was spent: now owed',
    );
  });

  it('has a reason for every transaction kind', () => {
    for (const kind of LEDGER_TRANSACTION_KINDS) {
      expect(entryReason(kind, 'credit')).toMatch(/^[A-Z]/);
    }
  });
});

describe(isRewardSourced.name, () => {
  it('names the reward of reward movements and none for a checkout spend', () => {
    expect(isRewardSourced('credit_expiry')).toBe(true);
    expect(isRewardSourced('credit_spend')).toBe(false);
  });
});

describe(isBookingSourced.name, () => {
  it('names the booking of checkout movements only', () => {
    expect(isBookingSourced('checkout_refund')).toBe(true);
    expect(isBookingSourced('reward_credit')).toBe(false);
  });
});

describe(entryAccount.name, () => {
  it('names every user account kind differently', () => {
    expect(new Set(USER_ACCOUNT_KINDS.map(entryAccount)).size).toBe(USER_ACCOUNT_KINDS.length);
  });

  it('tells a hold from the credit it came from', () => {
    expect(entryReason('checkout_reserve', 'reserved')).toBe('Held for a booking being confirmed');
    expect(entryReason('checkout_reserve', 'credit')).toBe(
      'Credit held for a booking being confirmed',
    );
  });
});
