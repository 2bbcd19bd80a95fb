import { Column, Entity, PrimaryColumn } from 'typeorm';

export const LEDGER_TRANSACTION_KINDS = [
  'reward_credit',
  'reward_void',
  'debt_settlement',
  'credit_expiry',
  'credit_spend',
  'checkout_reserve',
  'checkout_capture',
  'checkout_release',
  'checkout_refund',
] as const;
export type LedgerTransactionKind = (typeof LEDGER_TRANSACTION_KINDS)[number];

/** A balanced set of postings written once under an idempotency key; never updated. */
@Entity({ name: 'ledger_transactions' })
export class LedgerTransaction {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'idempotency_key' })
  idempotencyKey!: string;

  @Column('text')
  kind!: LedgerTransactionKind;

  /** What caused it, e.g. a reward id. */
  @Column('text', { name: 'source_id' })
  sourceId!: string;

  /** Why it looks the way it does, e.g. what a void could not recover. */
  @Column('text', { nullable: true })
  note!: string | null;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt!: Date;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
