import { LedgerAccount } from './ledger-account.entity';
import { LedgerTransaction } from './ledger-transaction.entity';
import { AccountRef, Leg } from './legs';

/** A transaction checked against its locked accounts, ready to write: nothing written yet. */
export interface PreparedTransaction {
  transaction: LedgerTransaction;
  legs: Array<{ account: LedgerAccount; amountCents: number }>;
  /** The accounts the legs move, by accountRefKey. */
  accounts: ReadonlyMap<string, LedgerAccount>;
}

/** A transaction whose legs were checked in code, its accounts not resolved yet: nothing written. */
export interface DraftTransaction {
  transaction: LedgerTransaction;
  legs: Leg[];
  /** Net amount per account the legs move (validateLegs). */
  netByAccount: Array<{ account: AccountRef; amountCents: number }>;
}

/** A ledger_transactions row's values, in the order of ledgerCtes' columns. */
const TRANSACTION_FIELDS: Array<(t: LedgerTransaction) => unknown> = [
  (t) => t.id,
  (t) => t.idempotencyKey,
  (t) => t.kind,
  (t) => t.sourceId,
  (t) => t.note,
  (t) => t.occurredAt,
  (t) => t.createdAt,
];

const transactionValues = (t: LedgerTransaction): unknown[] =>
  TRANSACTION_FIELDS.map((field) => field(t));

/**
 * The CTEs every shape below shares: `t` inserts `rows` (a VALUES or SELECT of
 * TRANSACTION_FIELDS) unless a concurrent post took the key, `postings` inserts
 * `legs` (a SELECT of transaction_id, account_id, amount_cents, currency, in posting order).
 */
function ledgerCtes(rows: string, legs: string): string {
  return `t AS (
       INSERT INTO ledger_transactions
         (id, idempotency_key, kind, source_id, note, occurred_at, created_at)
       ${rows}
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
     ), postings AS (
       INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
       ${legs}
       RETURNING id, transaction_id, account_id, amount_cents, currency
     )`;
}

/**
 * The CTEs that write a prepared transaction, for a statement that writes more beside it: `t`
 * (the inserted transaction's id; no row when a concurrent post took the key, and then nothing
 * is written) and `postings`. They take parameters $1 to $10; the statement's own follow.
 */
export function ledgerInsertCtes(p: PreparedTransaction): { sql: string; params: unknown[] } {
  // Postings numbered in leg order, as one insert per leg would number them.
  const sql = ledgerCtes(
    'VALUES ($1, $2, $3, $4, $5, $6, $7)',
    `SELECT t.id, l.account_id, l.amount_cents, l.currency
         FROM t, unnest($8::uuid[], $9::bigint[], $10::bpchar[]) WITH ORDINALITY
                 AS l(account_id, amount_cents, currency, n)
        ORDER BY l.n`,
  );
  return {
    sql,
    params: [
      ...transactionValues(p.transaction),
      p.legs.map((l) => l.account.id),
      p.legs.map((l) => l.amountCents),
      p.legs.map((l) => l.account.currency),
    ],
  };
}

/**
 * Like ledgerInsertCtes for several prepared transactions in one statement: `t` answers the ids
 * of those inserted (one whose key a concurrent post took is left out, its postings with it).
 * Parameters $1 to $11.
 */
export function ledgerInsertManyCtes(many: PreparedTransaction[]): {
  sql: string;
  params: unknown[];
} {
  const transactions = many.map((p) => p.transaction);
  const legs = many.flatMap((p) => p.legs.map((leg) => ({ transaction: p.transaction, leg })));
  // Postings numbered in transaction order, then leg order, as one insert per leg would number them.
  const sql = ledgerCtes(
    `SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                            $6::timestamptz[], $7::timestamptz[])`,
    `SELECT l.transaction_id, l.account_id, l.amount_cents, l.currency
         FROM unnest($8::uuid[], $9::uuid[], $10::bigint[], $11::bpchar[]) WITH ORDINALITY
                 AS l(transaction_id, account_id, amount_cents, currency, n)
         JOIN t ON t.id = l.transaction_id
        ORDER BY l.n`,
  );
  return {
    sql,
    params: [
      ...TRANSACTION_FIELDS.map((field) => transactions.map(field)),
      legs.map((l) => l.transaction.id),
      legs.map((l) => l.leg.account.id),
      legs.map((l) => l.leg.amountCents),
      legs.map((l) => l.leg.account.currency),
    ],
  };
}

/**
 * Like ledgerInsertCtes, for a draft whose user accounts the statement itself resolved (and
 * locked): each leg's account is found by owner and kind in the CTE `o.accounts` (id, owner_id,
 * kind, currency; accounts of the draft's one currency), and the transaction is inserted only
 * when `o.when` holds. A leg whose account is not there would leave the transaction unbalanced
 * (refused at commit): the caller makes `o.when` require them all. Parameters $1 to $10; the
 * statement's own follow.
 */
export function ledgerInsertOfRefsCtes(
  d: DraftTransaction,
  o: { accounts: string; when: string },
): { sql: string; params: unknown[] } {
  if (d.legs.some((leg) => leg.account.ownerId === null)) {
    throw new Error('a statement resolves user accounts only');
  }
  const sql = ledgerCtes(
    `SELECT $1, $2, $3, $4, $5, $6, $7 WHERE ${o.when}`,
    `SELECT t.id, a.id, l.amount_cents, a.currency
         FROM t, unnest($8::uuid[], $9::text[], $10::bigint[]) WITH ORDINALITY
                   AS l(owner_id, kind, amount_cents, n)
         JOIN ${o.accounts} a ON a.owner_id = l.owner_id AND a.kind = l.kind
        ORDER BY l.n`,
  );
  return {
    sql,
    params: [
      ...transactionValues(d.transaction),
      d.legs.map((l) => l.account.ownerId),
      d.legs.map((l) => l.account.kind),
      d.legs.map((l) => l.amountCents),
    ],
  };
}

/**
 * Like ledgerInsertManyCtes for transactions a statement derives from rows it read itself (and
 * locked): `o.transactions` is a SELECT of TRANSACTION_FIELDS' columns, `o.legs` a SELECT of
 * transaction_id, account_id, amount_cents, currency in posting order, which may name `t`.
 * Takes no parameters: the two SELECTs name the statement's own.
 */
export function ledgerInsertSelectedCtes(o: { transactions: string; legs: string }): string {
  return ledgerCtes(o.transactions, o.legs);
}
