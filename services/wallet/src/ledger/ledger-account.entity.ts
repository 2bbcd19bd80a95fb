import { Column, Entity, PrimaryColumn } from 'typeorm';

function nullableInteger(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${value}`);
  return n;
}

/**
 * A user's spendable credit, what a user owes after a void could not take back enough, what a
 * checkout holds of their credit or rebate until the booking is confirmed, and an instructor's
 * fee rebate (lowers the platform fee of their next lessons).
 */
export const USER_ACCOUNT_KINDS = [
  'user_credit',
  'user_debt',
  'user_reserved',
  'user_fee_rebate',
] as const;

export type UserAccountKind = (typeof USER_ACCOUNT_KINDS)[number];
export type PlatformAccountKind =
  | 'platform_rewards_expense'
  | 'platform_fee_rebate_expense'
  /** Where credit goes when it expires unspent. */
  | 'platform_expired_credit'
  /** Where credit goes when it is spent at checkout. */
  | 'platform_credit_redeemed'
  /** Where fee rebates go when a confirmed booking uses them. */
  | 'platform_fee_rebate_redeemed';
export type LedgerAccountKind = UserAccountKind | PlatformAccountKind;

/**
 * Which side of zero an account's balance must stay on: a user's credit never below zero, a
 * user's debt (negative: owed to the platform) never above it; platform accounts are free.
 */
type BalanceBound = 'non_negative' | 'non_positive' | 'none';

function balanceBound(kind: LedgerAccountKind): BalanceBound {
  switch (kind) {
    case 'user_credit':
    case 'user_reserved':
    case 'user_fee_rebate':
      return 'non_negative';
    case 'user_debt':
      return 'non_positive';
    case 'platform_rewards_expense':
    case 'platform_fee_rebate_expense':
    case 'platform_expired_credit':
    case 'platform_credit_redeemed':
    case 'platform_fee_rebate_redeemed':
      return 'none';
  }
}

/** Whether moving `amountCents` on an account of this kind could cross its bound. */
export function movesTowardBound(kind: LedgerAccountKind, amountCents: number): boolean {
  switch (balanceBound(kind)) {
    case 'non_negative':
      return amountCents < 0;
    case 'non_positive':
      return amountCents > 0;
    case 'none':
      return false;
  }
}

/** Whether a balance is on the allowed side of its account's bound. */
export function withinBound(kind: LedgerAccountKind, balanceCents: number): boolean {
  switch (balanceBound(kind)) {
    case 'non_negative':
      return balanceCents >= 0;
    case 'non_positive':
      return balanceCents <= 0;
    case 'none':
      return true;
  }
}

export function isUserAccountKind(kind: LedgerAccountKind): kind is UserAccountKind {
  return (USER_ACCOUNT_KINDS as readonly string[]).includes(kind);
}

/**
 * One account of the ledger. A user account keeps its balance in the row (moved by a trigger on
 * each posting, always equal to the sum of its postings); a platform account sums its postings.
 */
@Entity({ name: 'ledger_accounts' })
export class LedgerAccount {
  @PrimaryColumn('uuid')
  id!: string;

  /** The user who holds it; null for platform accounts. */
  @Column('uuid', { name: 'owner_id', nullable: true })
  ownerId!: string | null;

  @Column('text')
  kind!: LedgerAccountKind;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  /** Null for platform accounts. */
  @Column('bigint', {
    name: 'balance_cents',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => nullableInteger(v) },
  })
  balanceCents!: number | null;
}
