import { Column, Entity, PrimaryColumn } from 'typeorm';
import { RewardReason } from './reward-verdict';

export type StudentRewardStatus = 'held' | 'review' | 'unlocked' | 'voided' | 'refused';
export type StudentRewardKind = 'student_referral_credit' | 'fee_rebate';

/** The one decision about a referee's reward to their referrer, and where it stands. */
@Entity({ name: 'student_rewards' })
export class StudentReward {
  @PrimaryColumn('uuid', { name: 'reward_id' })
  rewardId!: string;

  @Column('uuid', { name: 'referee_id' })
  refereeId!: string;

  @Column('uuid', { name: 'referrer_id' })
  referrerId!: string;

  @Column('text')
  kind!: StudentRewardKind;

  @Column('text')
  status!: StudentRewardStatus;

  /** Why it has its status: a stable code, explained in plain words by reward-explanations. */
  @Column('text')
  reason!: RewardReason;

  @Column('integer', { name: 'amount_cents' })
  amountCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('uuid', { name: 'booking_id', nullable: true })
  bookingId!: string | null;

  @Column('text', { nullable: true })
  phase!: string | null;

  @Column('timestamptz', { name: 'decided_at' })
  decidedAt!: Date;

  @Column('timestamptz', { name: 'hold_until', nullable: true })
  holdUntil!: Date | null;

  @Column('timestamptz', { name: 'review_expires_at', nullable: true })
  reviewExpiresAt!: Date | null;

  /** Whether reward-earned was published (the wallet shows it pending). */
  @Column('boolean')
  earned!: boolean;

  @Column('timestamptz', { name: 'unlocked_at', nullable: true })
  unlockedAt!: Date | null;

  @Column('timestamptz', { name: 'voided_at', nullable: true })
  voidedAt!: Date | null;

  @Column('boolean')
  clawback!: boolean;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
