import { Column, Entity, PrimaryColumn } from 'typeorm';

/** pg returns bigint and numeric as strings; amounts and ids here always fit a safe integer. */
export function toSafeInteger(value: string | number | null | undefined): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${String(value)}`);
  return n;
}

const bigintColumn = { to: (v: number) => v, from: (v: string) => toSafeInteger(v) };

/** One signed amount on one account: positive adds to the balance, negative takes from it. */
@Entity({ name: 'ledger_postings' })
export class LedgerPosting {
  @PrimaryColumn('bigint', { transformer: bigintColumn })
  id!: number;

  @Column('uuid', { name: 'transaction_id' })
  transactionId!: string;

  @Column('uuid', { name: 'account_id' })
  accountId!: string;

  @Column('bigint', { name: 'amount_cents', transformer: bigintColumn })
  amountCents!: number;

  @Column('char', { length: 3 })
  currency!: string;
}
