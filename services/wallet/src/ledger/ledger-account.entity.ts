import { Column, Entity, PrimaryColumn } from 'typeorm';

export const USER_ACCOUNT_KINDS = ['user_credit'] as const;
export const PLATFORM_ACCOUNT_KINDS = [
  'platform_rewards_expense',
  'platform_fee_rebate_expense',
] as const;

export type UserAccountKind = (typeof USER_ACCOUNT_KINDS)[number];
export type PlatformAccountKind = (typeof PLATFORM_ACCOUNT_KINDS)[number];
export type LedgerAccountKind = UserAccountKind | PlatformAccountKind;

/** Accounts whose balance may never drop below zero: money a user holds. */
export function mustStayNonNegative(kind: LedgerAccountKind): boolean {
  switch (kind) {
    case 'user_credit':
      return true;
    case 'platform_rewards_expense':
    case 'platform_fee_rebate_expense':
      return false;
  }
}

export function isUserAccountKind(kind: LedgerAccountKind): kind is UserAccountKind {
  return (USER_ACCOUNT_KINDS as readonly string[]).includes(kind);
}

/** One account of the ledger; its balance is the sum of its postings and is never stored. */
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
}
