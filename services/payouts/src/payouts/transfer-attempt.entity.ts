import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TransferAttemptOutcome = 'succeeded' | 'failed';

/** One try at paying a payout. Append-only: the table refuses updates and deletes. */
@Entity({ name: 'transfer_attempts' })
export class TransferAttempt {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'payout_id' })
  payoutId!: string;

  @Column('timestamptz', { name: 'attempted_at' })
  attemptedAt!: Date;

  @Column('text')
  outcome!: TransferAttemptOutcome;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode!: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage!: string | null;

  @Column('text', { name: 'transfer_id', nullable: true })
  transferId!: string | null;
}
