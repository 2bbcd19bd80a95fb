import { Column, Entity, PrimaryColumn } from 'typeorm';

export const INSTRUCTOR_REFERRAL_STATUSES = [
  'pending_live',
  'pending_lesson',
  'pending_transfer',
  'paid',
  'failed',
] as const;
export type InstructorReferralStatus = (typeof INSTRUCTOR_REFERRAL_STATUSES)[number];

/** Progress of one referred instructor towards the referrer's cash bonus. */
@Entity({ name: 'instructor_referrals' })
export class InstructorReferral {
  @PrimaryColumn('uuid', { name: 'referee_id' })
  refereeId!: string;

  @Column('uuid', { name: 'referrer_id' })
  referrerId!: string;

  @Column('text')
  status!: InstructorReferralStatus;

  @Column('timestamptz', { name: 'attributed_at' })
  attributedAt!: Date;

  @Column('timestamptz', { name: 'went_live_at', nullable: true })
  wentLiveAt!: Date | null;

  @Column('uuid', { name: 'first_lesson_booking_id', nullable: true })
  firstLessonBookingId!: string | null;

  @Column('timestamptz', { name: 'first_lesson_at', nullable: true })
  firstLessonAt!: Date | null;

  @Column('uuid', { name: 'reward_id', nullable: true })
  rewardId!: string | null;

  @Column('uuid', { name: 'payout_id', nullable: true })
  payoutId!: string | null;

  @Column('integer', { name: 'bonus_cents', nullable: true })
  bonusCents!: number | null;

  @Column('char', { length: 3, nullable: true })
  currency!: string | null;

  @Column('boolean', { nullable: true })
  founding!: boolean | null;

  @Column('timestamptz', { name: 'paid_at', nullable: true })
  paidAt!: Date | null;

  @Column('text', { name: 'transfer_id', nullable: true })
  transferId!: string | null;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason!: string | null;

  /** Set while a failed payout will be tried again: when. Null once paid or failed for good. */
  @Column('timestamptz', { name: 'next_retry_at', nullable: true })
  nextRetryAt!: Date | null;

  /** When the latest payout fact applied here happened; older ones arriving later are ignored. */
  @Column('timestamptz', { name: 'payout_event_at', nullable: true })
  payoutEventAt!: Date | null;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
