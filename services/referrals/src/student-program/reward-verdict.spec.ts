import { RewardFacts, rewardVerdict } from './reward-verdict';

const facts = (over: Partial<RewardFacts> = {}): RewardFacts => ({
  referrerBanned: false,
  refereeBanned: false,
  sharePaymentCard: false,
  capUsed: 0,
  cap: 50,
  recentGrants: [0, 0],
  velocityLimits: [
    { windowHours: 24, max: 3 },
    { windowHours: 720, max: 10 },
  ],
  householdSize: 1,
  householdReviewThreshold: 3,
  ...over,
});

describe(rewardVerdict.name, () => {
  it('holds a clean reward through the refund window', () => {
    expect(rewardVerdict(facts())).toEqual({ status: 'held', reason: 'HELD_REFUND_WINDOW' });
  });

  it('refuses a referee who paid with a card the referrer paid with, before any cap or review', () => {
    expect(rewardVerdict(facts({ sharePaymentCard: true, householdSize: 3, capUsed: 50 }))).toEqual(
      { status: 'refused', reason: 'SELF_REFERRAL_PAYMENT' },
    );
  });

  it('tolerates a household of two and reviews one of three', () => {
    expect(rewardVerdict(facts({ householdSize: 2 })).status).toBe('held');
    expect(rewardVerdict(facts({ householdSize: 3 }))).toEqual({
      status: 'review',
      reason: 'HOUSEHOLD_REVIEW',
    });
  });

  it('refuses once the phase cap is used up, and has no cap when the phase has none', () => {
    expect(rewardVerdict(facts({ capUsed: 49 })).status).toBe('held');
    expect(rewardVerdict(facts({ capUsed: 50 }))).toEqual({
      status: 'refused',
      reason: 'CAP_REACHED',
    });
    expect(rewardVerdict(facts({ capUsed: 5000, cap: undefined })).status).toBe('held');
  });

  it('refuses past any velocity limit', () => {
    expect(rewardVerdict(facts({ recentGrants: [2, 9] })).status).toBe('held');
    expect(rewardVerdict(facts({ recentGrants: [3, 3] })).reason).toBe('VELOCITY_LIMIT');
    expect(rewardVerdict(facts({ recentGrants: [0, 10] })).reason).toBe('VELOCITY_LIMIT');
  });

  it('refuses banned referrers and referees before anything else', () => {
    expect(rewardVerdict(facts({ referrerBanned: true, capUsed: 50 })).reason).toBe(
      'REFERRER_BANNED',
    );
    expect(rewardVerdict(facts({ refereeBanned: true, householdSize: 5 })).reason).toBe(
      'REFEREE_BANNED',
    );
  });
});
