import { RewardReason } from './reward-verdict';
import { StudentReward } from './student-reward.entity';

const day = (at: Date | null): string =>
  at ? at.toLocaleDateString('en-US', { day: 'numeric', month: 'short', timeZone: 'UTC' }) : '';

/** The plain sentence a referrer reads for a reward's status; admins see the code and dates. */
export function explainReward(
  reward: Pick<StudentReward, 'reason' | 'holdUntil' | 'clawback'>,
): string {
  const reason: RewardReason = reward.reason;
  switch (reason) {
    case 'HELD_REFUND_WINDOW':
      return `Your friend's first lesson is done. Your credit is held until ${day(reward.holdUntil)} (refund window).`;
    case 'HOUSEHOLD_REVIEW':
      return 'Several accounts share a device or network with your friend, so we are checking this reward by hand.';
    case 'UNLOCKED':
      return 'Your credit is in your wallet, ready to spend.';
    case 'CAP_REACHED':
      return 'The program reached its limit of rewards for now, so this referral did not earn a credit.';
    case 'VELOCITY_LIMIT':
      return 'You earned the most rewards allowed in a short time, so this referral did not earn a credit.';
    case 'REFERRER_BANNED':
      return 'Your account can no longer earn referral rewards.';
    case 'REFEREE_BANNED':
      return "Your friend's account cannot count towards referral rewards.";
    case 'REFUNDED_IN_HOLD':
      return "Your friend's lesson was refunded during the refund window, so the credit was cancelled.";
    case 'REFUNDED_AFTER_UNLOCK':
      return "Your friend's lesson was refunded after your credit unlocked, so the credit was taken back.";
    case 'REVIEW_APPROVED':
      return 'We checked this reward and approved it.';
    case 'REVIEW_VOIDED':
      return 'We checked this reward and could not approve it.';
    case 'REVIEW_EXPIRED':
      return 'This reward could not be confirmed in time, so it was cancelled.';
    case 'BANNED':
      return 'This reward was cancelled because the account was banned.';
    case 'SELF_REFERRAL_PAYMENT':
      return "Your friend's lesson was paid with a card you have also paid with, so it does not count as a referral.";
  }
}

/** What a referrer reads while no reward exists yet for a friend who signed up. */
export function explainWaiting(friend: { emailVerified: boolean; phoneVerified: boolean }): string {
  if (!friend.emailVerified || !friend.phoneVerified) {
    return 'Waiting for your friend to verify their email and phone.';
  }
  return "Waiting for your friend's first lesson.";
}
