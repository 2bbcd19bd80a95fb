import { Column, Entity, PrimaryColumn } from 'typeorm';

export const PAYOUT_STATUSES = ['pending_transfer', 'paid', 'failed', 'reversed'] as const;
/** `reversed`: paid, then the transfer was reversed on Stripe (a webhook said so). */
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

@Entity({ name: 'payouts' })
export class Payout {
  /** The payoutId of the payout-requested event. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'reward_id' })
  rewardId!: string;

  @Column('uuid', { name: 'beneficiary_id' })
  beneficiaryId!: string;

  @Column('integer', { name: 'amount_cents' })
  amountCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('text')
  status!: PayoutStatus;

  /** The connected account the transfer went to, once known. */
  @Column('text', { name: 'stripe_account_id', nullable: true })
  stripeAccountId!: string | null;

  @Column('text', { name: 'transfer_id', nullable: true })
  transferId!: string | null;

  /** Recorded transfer attempts (successful or not). */
  @Column('integer')
  attempts!: number;

  /**
   * Attempts claimed since the last recorded outcome: 1 while an attempt runs; any before the
   * running one were interrupted (the process died, the database went away) and never recorded.
   */
  @Column('integer', { name: 'unfinished_attempts' })
  unfinishedAttempts!: number;

  /** The claim that holds the lease: an attempt records its outcome only while it matches. */
  @Column('uuid', { name: 'lease_token', nullable: true })
  leaseToken!: string | null;

  /** Which idempotency key the next creation uses; moves on only once no transfer can exist. */
  @Column('integer', { name: 'transfer_key_generation' })
  transferKeyGeneration!: number;

  /** When the next attempt may start; while an attempt runs, the end of its lease. */
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt!: Date | null;

  @Column('text', { name: 'last_error_code', nullable: true })
  lastErrorCode!: string | null;

  @Column('text', { name: 'last_error_message', nullable: true })
  lastErrorMessage!: string | null;

  @Column('timestamptz', { name: 'requested_at' })
  requestedAt!: Date;

  @Column('timestamptz', { name: 'paid_at', nullable: true })
  paidAt!: Date | null;

  @Column('timestamptz', { name: 'failed_at', nullable: true })
  failedAt!: Date | null;

  /** When an admin last sent the failed payout back to its attempts; its retry window starts then. */
  @Column('timestamptz', { name: 'manual_retry_at', nullable: true })
  manualRetryAt!: Date | null;

  @Column('uuid', { name: 'manual_retry_by', nullable: true })
  manualRetryBy!: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
