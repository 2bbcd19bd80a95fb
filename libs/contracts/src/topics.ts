/**
 * Kafka topic names. These are wire contracts: never rename one; a breaking change is a new
 * event version published beside the old one.
 */
export const Topics = {
  UserRegistered: 'user-registered',
  UserVerified: 'user-verified',
  InstructorWentLive: 'instructor-went-live',
  BookingConfirmed: 'booking-confirmed',
  BookingCancelled: 'booking-cancelled',
  LessonCompleted: 'lesson-completed',
  ReferralAttributed: 'referral-attributed',
  RewardEarned: 'reward-earned',
  RewardUnlocked: 'reward-unlocked',
  RewardVoided: 'reward-voided',
  PayoutRequested: 'payout-requested',
  PayoutPaid: 'payout-paid',
  PayoutFailed: 'payout-failed',
  WalletCredited: 'wallet-credited',
  WalletDebited: 'wallet-debited',
  CreditExpiring: 'credit-expiring',
  CreditExpired: 'credit-expired',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

/** Where a consumer parks a message it cannot process, with the reason in its headers. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Every topic the platform needs, dead-letter topics included: what provisioning creates. */
export function allTopicsWithDeadLetters(): string[] {
  return ALL_TOPICS.flatMap((topic) => [topic, deadLetterTopic(topic)]);
}

/**
 * The consumer groups (one per service, named after it) that read each topic: what a producer
 * checks to notice a consumer that fell behind what the broker still keeps, and what access
 * rules are derived from. Kept equal to the services' `@EventPattern`s by a test.
 */
export const TOPIC_CONSUMERS: Readonly<Partial<Record<Topic, readonly string[]>>> = {
  [Topics.UserRegistered]: ['referrals'],
  [Topics.ReferralAttributed]: ['bookings'],
  [Topics.BookingConfirmed]: ['wallet'],
  [Topics.BookingCancelled]: ['referrals', 'wallet'],
  [Topics.CreditExpiring]: ['bookings'],
  [Topics.UserVerified]: ['referrals'],
  [Topics.InstructorWentLive]: ['referrals'],
  [Topics.LessonCompleted]: ['referrals'],
  [Topics.PayoutPaid]: ['referrals'],
  [Topics.PayoutFailed]: ['referrals'],
  [Topics.RewardEarned]: ['wallet'],
  [Topics.RewardUnlocked]: ['wallet'],
  [Topics.RewardVoided]: ['wallet'],
  [Topics.PayoutRequested]: ['payouts'],
};

/**
 * The one service that publishes each topic (through its outbox): what write access on the broker
 * is derived from (deploy/k8s KafkaUser ACLs). Kept equal to the services' outbox writes by a test.
 */
export const TOPIC_PRODUCERS: Readonly<Record<Topic, string>> = {
  [Topics.UserRegistered]: 'bookings',
  [Topics.UserVerified]: 'bookings',
  [Topics.InstructorWentLive]: 'bookings',
  [Topics.BookingConfirmed]: 'bookings',
  [Topics.BookingCancelled]: 'bookings',
  [Topics.LessonCompleted]: 'bookings',
  [Topics.ReferralAttributed]: 'referrals',
  [Topics.RewardEarned]: 'referrals',
  [Topics.RewardUnlocked]: 'referrals',
  [Topics.RewardVoided]: 'referrals',
  [Topics.PayoutRequested]: 'referrals',
  [Topics.PayoutPaid]: 'payouts',
  [Topics.PayoutFailed]: 'payouts',
  [Topics.WalletCredited]: 'wallet',
  [Topics.WalletDebited]: 'wallet',
  [Topics.CreditExpiring]: 'wallet',
  [Topics.CreditExpired]: 'wallet',
};
