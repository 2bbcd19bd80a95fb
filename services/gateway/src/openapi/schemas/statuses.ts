/** Status values the answers use, as their services define them. */
export const REWARD_STATUSES = ['held', 'review', 'unlocked', 'voided', 'refused'];
export const INSTRUCTOR_REFERRAL_STATUSES = [
  'pending_live',
  'pending_lesson',
  'pending_transfer',
  'paid',
  'failed',
];
export const PAYOUT_STATUSES = ['pending_transfer', 'paid', 'failed', 'reversed'];
