import 'reflect-metadata';
import { loadConfig, MigrationConfig, SystemClock } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { walletDataSource } from '../db/data-source';
import { formatInvariantReport } from './invariant-report';
import { toSafeInteger } from './ledger-posting.entity';

/** Violations listed per kind; the counts are exact. */
const LISTED = 100;

export interface LedgerInvariantReport {
  ok: boolean;
  checkedAt: string;
  totals: { accounts: number; transactions: number; postings: number };
  violations: {
    unbalancedTransactions: {
      count: number;
      first: Array<{ transactionId: string; sumCents: string; currencies: string[] }>;
    };
    negativeUserAccounts: {
      count: number;
      first: Array<{ accountId: string; ownerId: string; currency: string; balanceCents: string }>;
    };
    /** User accounts whose stored balance is not the sum of their postings. */
    balanceMismatches: {
      count: number;
      first: Array<{ accountId: string; storedCents: string; postedCents: string }>;
    };
    /** Credit accounts whose lots do not add up to their balance. */
    lotMismatches: {
      count: number;
      first: Array<{ accountId: string; balanceCents: string; lotsCents: string }>;
    };
    /** Reserved accounts whose balance is not what their held checkouts hold. */
    reservationMismatches: {
      count: number;
      first: Array<{ accountId: string; balanceCents: string; heldCents: string }>;
    };
  };
}

interface LotMismatchRow {
  account_id: string;
  balance_cents: string;
  lots_cents: string;
  total: string;
}

interface MismatchRow {
  account_id: string;
  stored_cents: string;
  posted_cents: string;
  total: string;
}

interface UnbalancedRow {
  transaction_id: string;
  sum_cents: string;
  currencies: string[];
  total: string;
}

interface NegativeRow {
  account_id: string;
  owner_id: string;
  currency: string;
  balance_cents: string;
  total: string;
}

/**
 * Verifies what the ledger promises, from one read-only snapshot: every transaction sums to zero
 * in a single currency, no user credit account is below zero, every stored balance equals the sum
 * of its account's postings, every credit balance equals what is left of its lots, and every
 * reserved balance equals what its held checkouts hold. The database enforces both on
 * write; this catches what a bypass (a disabled trigger, a manual fix) would leave behind.
 */
export async function checkLedgerInvariants(
  dataSource: DataSource,
  checkedAt: Date,
): Promise<LedgerInvariantReport> {
  return dataSource.transaction('REPEATABLE READ', async (tx) => {
    await tx.query('SET TRANSACTION READ ONLY');
    return inspectLedger(tx, checkedAt);
  });
}

/** The checks themselves, in the caller's transaction (tests inspect a rigged, rolled-back one). */
export async function inspectLedger(
  tx: EntityManager,
  checkedAt: Date,
): Promise<LedgerInvariantReport> {
  const [totals] = await tx.query<Array<Record<'accounts' | 'transactions' | 'postings', string>>>(
    `SELECT (SELECT count(*) FROM ledger_accounts) AS accounts,
            (SELECT count(*) FROM ledger_transactions) AS transactions,
            (SELECT count(*) FROM ledger_postings) AS postings`,
  );
  const unbalanced = await tx.query<UnbalancedRow[]>(
    `SELECT transaction_id, sum(amount_cents)::text AS sum_cents,
            array_agg(DISTINCT currency::text) AS currencies, count(*) OVER () AS total
       FROM ledger_postings
      GROUP BY transaction_id
     HAVING sum(amount_cents) <> 0 OR count(DISTINCT currency) > 1
      ORDER BY transaction_id
      LIMIT $1`,
    [LISTED],
  );
  const negative = await tx.query<NegativeRow[]>(
    `SELECT a.id AS account_id, a.owner_id, a.currency, sum(p.amount_cents)::text AS balance_cents,
            count(*) OVER () AS total
       FROM ledger_accounts a
       JOIN ledger_postings p ON p.account_id = a.id
      WHERE a.kind IN ('user_credit', 'user_reserved', 'user_fee_rebate')
      GROUP BY a.id
     HAVING sum(p.amount_cents) < 0
      ORDER BY a.id
      LIMIT $1`,
    [LISTED],
  );
  const mismatched = await tx.query<MismatchRow[]>(
    `SELECT a.id AS account_id, a.balance_cents::text AS stored_cents,
            coalesce(sum(p.amount_cents), 0)::text AS posted_cents, count(*) OVER () AS total
       FROM ledger_accounts a
       LEFT JOIN ledger_postings p ON p.account_id = a.id
      WHERE a.owner_id IS NOT NULL
      GROUP BY a.id
     HAVING a.balance_cents IS DISTINCT FROM coalesce(sum(p.amount_cents), 0)
      ORDER BY a.id
      LIMIT $1`,
    [LISTED],
  );
  const lotsOff = await tx.query<LotMismatchRow[]>(
    `SELECT a.id AS account_id, a.balance_cents::text AS balance_cents,
            coalesce(sum(l.remaining_cents), 0)::text AS lots_cents, count(*) OVER () AS total
       FROM ledger_accounts a
       LEFT JOIN credit_lots l ON l.account_id = a.id
      WHERE a.kind = 'user_credit'
      GROUP BY a.id
     HAVING a.balance_cents IS DISTINCT FROM coalesce(sum(l.remaining_cents), 0)
      ORDER BY a.id
      LIMIT $1`,
    [LISTED],
  );
  const heldOff = await tx.query<
    Array<{ account_id: string; balance_cents: string; held_cents: string; total: string }>
  >(
    `SELECT a.id AS account_id, a.balance_cents::text AS balance_cents,
            coalesce(h.cents, 0)::text AS held_cents, count(*) OVER () AS total
       FROM ledger_accounts a
       LEFT JOIN (SELECT owner_id, currency, sum(cents) AS cents FROM (
                    SELECT student_id AS owner_id, currency, credit_cents AS cents
                      FROM credit_reservations WHERE status = 'held'
                    UNION ALL
                    SELECT instructor_id, currency, fee_rebate_cents
                      FROM credit_reservations WHERE status = 'held' AND instructor_id IS NOT NULL
                  ) held GROUP BY owner_id, currency) h
         ON h.owner_id = a.owner_id AND h.currency = a.currency
      WHERE a.kind = 'user_reserved' AND a.balance_cents IS DISTINCT FROM coalesce(h.cents, 0)
      ORDER BY a.id
      LIMIT $1`,
    [LISTED],
  );
  const heldMismatchCount = toSafeInteger(heldOff[0]?.total ?? 0);
  const lotMismatchCount = toSafeInteger(lotsOff[0]?.total ?? 0);
  const unbalancedCount = toSafeInteger(unbalanced[0]?.total ?? 0);
  const negativeCount = toSafeInteger(negative[0]?.total ?? 0);
  const mismatchCount = toSafeInteger(mismatched[0]?.total ?? 0);
  return {
    ok:
      unbalancedCount === 0 &&
      negativeCount === 0 &&
      mismatchCount === 0 &&
      lotMismatchCount === 0 &&
      heldMismatchCount === 0,
    checkedAt: checkedAt.toISOString(),
    totals: {
      accounts: toSafeInteger(totals.accounts),
      transactions: toSafeInteger(totals.transactions),
      postings: toSafeInteger(totals.postings),
    },
    violations: {
      unbalancedTransactions: {
        count: unbalancedCount,
        first: unbalanced.map((r) => ({
          transactionId: r.transaction_id,
          sumCents: r.sum_cents,
          currencies: r.currencies,
        })),
      },
      negativeUserAccounts: {
        count: negativeCount,
        first: negative.map((r) => ({
          accountId: r.account_id,
          ownerId: r.owner_id,
          currency: r.currency,
          balanceCents: r.balance_cents,
        })),
      },
      balanceMismatches: {
        count: mismatchCount,
        first: mismatched.map((r) => ({
          accountId: r.account_id,
          storedCents: r.stored_cents,
          postedCents: r.posted_cents,
        })),
      },
      lotMismatches: {
        count: lotMismatchCount,
        first: lotsOff.map((r) => ({
          accountId: r.account_id,
          balanceCents: r.balance_cents,
          lotsCents: r.lots_cents,
        })),
      },
      reservationMismatches: {
        count: heldMismatchCount,
        first: heldOff.map((r) => ({
          accountId: r.account_id,
          balanceCents: r.balance_cents,
          heldCents: r.held_cents,
        })),
      },
    },
  };
}

const USAGE = 'usage: check-invariants [--json]';

/**
 * The operator's command: checks the ledger once and answers with an exit code, 0 when every
 * invariant holds, 1 on any violation, 2 when the check could not run. It reads the wallet's
 * own DATABASE_URL and DATABASE_SCHEMA (the database and nothing else); `--json` prints the
 * report as JSON instead of text.
 */
export async function runInvariantCheck(
  env: Record<string, string | undefined>,
  argv: readonly string[],
  out: { log(line: string): void; error(line: string): void } = console,
): Promise<number> {
  const json = argv.includes('--json');
  if (argv.some((a) => a !== '--json')) {
    out.error(USAGE);
    return 2;
  }
  try {
    const config = loadConfig(MigrationConfig, env);
    const dataSource = walletDataSource(config.DATABASE_URL, config.DATABASE_SCHEMA ?? 'wallet');
    await dataSource.initialize();
    try {
      const report = await checkLedgerInvariants(dataSource, new SystemClock().now());
      out.log(json ? JSON.stringify(report) : formatInvariantReport(report));
      return report.ok ? 0 : 1;
    } finally {
      await dataSource.destroy();
    }
  } catch (err) {
    out.error(`ledger invariant check could not run: ${String(err)}`);
    return 2;
  }
}

if (require.main === module) {
  void runInvariantCheck(process.env, process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
