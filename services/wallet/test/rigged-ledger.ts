import { randomUUID } from 'node:crypto';

/**
 * Writes past the ledger's triggers, as a superuser can (`session_replication_role = replica`),
 * in the caller's open transaction: a user credit account and a transaction whose one posting
 * takes -250 USD from it. The ledger is then unbalanced, the account below zero and its stored
 * balance (0) no longer its postings' sum: what the invariant check exists to catch.
 */
export async function writePastTheTriggers(tx: {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}): Promise<{ userId: string; txId: string }> {
  const [userId, txId] = [randomUUID(), randomUUID()];
  await tx.query('SET LOCAL session_replication_role = replica');
  await tx.query(
    `INSERT INTO ledger_accounts (id, owner_id, kind, currency, created_at, balance_cents)
     VALUES ($1, $1, 'user_credit', 'USD', now(), 0)`,
    [userId],
  );
  await tx.query(
    `INSERT INTO ledger_transactions (id, idempotency_key, kind, source_id, occurred_at, created_at)
     VALUES ($1, $2, 'reward_void', 'test', now(), now())`,
    [txId, `test-rigged:${txId}`],
  );
  await tx.query(
    `INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
     VALUES ($1, $2, -250, 'USD')`,
    [txId, userId],
  );
  return { userId, txId };
}
