import { LedgerAccount } from './ledger-account.entity';
import { LedgerTransaction } from './ledger-transaction.entity';

/** A transaction checked against its locked accounts, ready to write: nothing written yet. */
export interface PreparedTransaction {
  transaction: LedgerTransaction;
  legs: Array<{ account: LedgerAccount; amountCents: number }>;
  /** The accounts the legs move, by accountRefKey. */
  accounts: ReadonlyMap<string, LedgerAccount>;
}

/**
 * The CTEs that write a prepared transaction, for a statement that writes more beside it: `t`
 * (the inserted transaction's id; no row when a concurrent post took the key, and then nothing
 * is written) and `postings`. They take parameters $1 to $10; the statement's own follow.
 */
export function ledgerInsertCtes(p: PreparedTransaction): { sql: string; params: unknown[] } {
  const t = p.transaction;
  // Postings numbered in leg order, as one insert per leg would number them.
  const sql = `t AS (
       INSERT INTO ledger_transactions
         (id, idempotency_key, kind, source_id, note, occurred_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
     ), postings AS (
       INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
       SELECT t.id, l.account_id, l.amount_cents, l.currency
         FROM t, unnest($8::uuid[], $9::bigint[], $10::bpchar[]) WITH ORDINALITY
                 AS l(account_id, amount_cents, currency, n)
        ORDER BY l.n
       RETURNING id, transaction_id, account_id, amount_cents, currency
     )`;
  return {
    sql,
    params: [
      t.id,
      t.idempotencyKey,
      t.kind,
      t.sourceId,
      t.note,
      t.occurredAt,
      t.createdAt,
      p.legs.map((l) => l.account.id),
      p.legs.map((l) => l.amountCents),
      p.legs.map((l) => l.account.currency),
    ],
  };
}
