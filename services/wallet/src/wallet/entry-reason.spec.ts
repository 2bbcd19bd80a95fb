import { LEDGER_TRANSACTION_KINDS } from '../ledger/ledger-transaction.entity';
import { entryReason, isRewardSourced } from './entry-reason';

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
