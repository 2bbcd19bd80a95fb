import { RewardKind } from '@rewards/contracts';
import { PlatformAccountKind, UserAccountKind } from '../ledger/ledger-account.entity';

/** One credit per reward, whichever message or replay carries the unlock. */
export const rewardCreditKey = (rewardId: string): string => `reward-unlocked:${rewardId}`;
export const rewardVoidKey = (rewardId: string): string => `reward-voided:${rewardId}`;

/**
 * Which platform account funds a reward kind in the wallet; null for kinds paid in cash by
 * payouts, which must never also become wallet credit.
 */
export function fundingAccountFor(kind: RewardKind): PlatformAccountKind | null {
  switch (kind) {
    case 'student_referral_credit':
      return 'platform_rewards_expense';
    case 'fee_rebate':
      return 'platform_fee_rebate_expense';
    case 'instructor_referral_bonus':
      return null;
  }
}

/**
 * Which user account a reward kind credits: student credit is spent at checkout; an instructor's
 * fee rebate lowers the platform fee of their next lessons. Null: cash, never wallet money.
 */
export function creditedAccountFor(kind: RewardKind): UserAccountKind | null {
  switch (kind) {
    case 'student_referral_credit':
      return 'user_credit';
    case 'fee_rebate':
      return 'user_fee_rebate';
    case 'instructor_referral_bonus':
      return null;
  }
}

export interface RewardVoidPlan {
  /** Taken back from the user's credit now. */
  recoverCents: number;
  /** Already spent, so not recoverable from the wallet now: it becomes the user's debt. */
  shortfallCents: number;
}

/** A void takes back what is left of the credit: never more than the current balance. */
export function planRewardVoid(creditedCents: number, balanceCents: number): RewardVoidPlan {
  const recoverCents = Math.max(0, Math.min(creditedCents, balanceCents));
  return { recoverCents, shortfallCents: creditedCents - recoverCents };
}

export function rewardVoidNote(reason: string, shortfallCents: number, currency: string): string {
  const voided = `reward voided (${reason})`;
  if (shortfallCents === 0) return voided;
  return `${voided}; ${shortfallCents} ${currency} already spent, now owed`;
}
