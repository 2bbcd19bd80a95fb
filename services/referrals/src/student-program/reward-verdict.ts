import { VelocityLimit } from './student-program-settings';

/** Stable reason codes of student rewards: what a status is because of. */
export type RewardReason =
  | 'HELD_REFUND_WINDOW'
  | 'HOUSEHOLD_REVIEW'
  | 'UNLOCKED'
  | 'CAP_REACHED'
  | 'VELOCITY_LIMIT'
  | 'REFERRER_BANNED'
  | 'REFEREE_BANNED'
  | 'REFUNDED_IN_HOLD'
  | 'REFUNDED_AFTER_UNLOCK'
  | 'REVIEW_APPROVED'
  | 'REVIEW_VOIDED'
  | 'REVIEW_EXPIRED'
  | 'BANNED'
  | 'SELF_REFERRAL_PAYMENT';

export interface RewardFacts {
  referrerBanned: boolean;
  /** The referrer and the referee have paid lessons with one same card. */
  sharePaymentCard: boolean;
  refereeBanned: boolean;
  /** Rewards granted so far in the phase, and its cap (undefined: the phase has none). */
  capUsed: number;
  cap: number | undefined;
  /** Rewards the referrer was granted within each velocity limit's window, in its order. */
  recentGrants: number[];
  velocityLimits: VelocityLimit[];
  /** Accounts sharing the referee's device or IP hash, the referee included. */
  householdSize: number;
  householdReviewThreshold: number;
}

export type RewardVerdict =
  | { status: 'held'; reason: 'HELD_REFUND_WINDOW' }
  | { status: 'review'; reason: 'HOUSEHOLD_REVIEW' }
  | { status: 'refused'; reason: RewardReason };

/**
 * The review ladder for a referrer's reward: banned accounts, a card the referrer and the
 * referee both paid with (a self-referral) and spent caps refuse it, a
 * household of `householdReviewThreshold` accounts or more sends it to review, anything else is
 * held through the refund window. Order matters: a refusal never uses a cap slot.
 */
export function rewardVerdict(facts: RewardFacts): RewardVerdict {
  if (facts.referrerBanned) return { status: 'refused', reason: 'REFERRER_BANNED' };
  if (facts.refereeBanned) return { status: 'refused', reason: 'REFEREE_BANNED' };
  if (facts.sharePaymentCard) return { status: 'refused', reason: 'SELF_REFERRAL_PAYMENT' };
  if (facts.cap !== undefined && facts.capUsed >= facts.cap) {
    return { status: 'refused', reason: 'CAP_REACHED' };
  }
  if (facts.velocityLimits.some((limit, i) => (facts.recentGrants[i] ?? 0) >= limit.max)) {
    return { status: 'refused', reason: 'VELOCITY_LIMIT' };
  }
  if (facts.householdSize >= facts.householdReviewThreshold) {
    return { status: 'review', reason: 'HOUSEHOLD_REVIEW' };
  }
  return { status: 'held', reason: 'HELD_REFUND_WINDOW' };
}
