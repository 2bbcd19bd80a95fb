import { fundingAccountFor, planRewardVoid, rewardVoidNote } from './reward-ledger';

describe(planRewardVoid.name, () => {
  it('takes back the whole credit when the balance covers it', () => {
    expect(planRewardVoid(2000, 3500)).toEqual({ recoverCents: 2000, shortfallCents: 0 });
  });

  it('takes back only the balance when part of the credit was spent', () => {
    expect(planRewardVoid(2000, 500)).toEqual({ recoverCents: 500, shortfallCents: 1500 });
  });

  it('takes back nothing when all of it was spent', () => {
    expect(planRewardVoid(2000, 0)).toEqual({ recoverCents: 0, shortfallCents: 2000 });
  });
});

describe(rewardVoidNote.name, () => {
  it('records the shortfall when part of the credit was already spent', () => {
    expect(rewardVoidNote('REFUNDED', 1500, 'USD')).toBe(
      'reward voided (REFUNDED); 1500 USD already spent, now owed',
    );
  });

  it('records only the reason when everything was recovered', () => {
    expect(rewardVoidNote('FRAUD_REVIEW_VOID', 0, 'USD')).toBe('reward voided (FRAUD_REVIEW_VOID)');
  });
});

describe(fundingAccountFor.name, () => {
  it('funds fee rebates and referral credit from separate expense accounts', () => {
    expect(fundingAccountFor('student_referral_credit')).toBe('platform_rewards_expense');
    expect(fundingAccountFor('fee_rebate')).toBe('platform_fee_rebate_expense');
  });

  it('never turns a cash bonus into wallet credit', () => {
    expect(fundingAccountFor('instructor_referral_bonus')).toBeNull();
  });
});
