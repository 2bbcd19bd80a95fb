import { SignupRefusal } from './signup-attribution';

/** What a user reads when their referral was not counted; the code stays for machines. */
export const ATTRIBUTION_REFUSAL_TEXT: Record<SignupRefusal, string> = {
  UNKNOWN_CODE: 'That referral code does not exist, so no one gets credit for your signup.',
  CODE_DISABLED: 'That referral code is no longer active, so no one gets credit for your signup.',
  SELF_REFERRAL: 'You cannot use your own referral code.',
  SELF_REFERRAL_DEVICE:
    'This referral link was opened on the same device as its owner, so it cannot be counted.',
  PROGRAM_MISMATCH:
    'That code belongs to the other referral program (students refer students, instructors refer instructors).',
  REFERRER_BANNED: 'That referral code can no longer earn rewards.',
};
