import type { LedgerInvariantReport } from './check-invariants';

/** One check's lines: `ok` and its promise, or `FAIL` with each listed violation under it. */
function section<T>(
  promise: string,
  found: { count: number; first: T[] },
  describe: (violation: T) => string,
): string[] {
  if (found.count === 0) return [`  ok    ${promise}`];
  const lines = [`  FAIL  ${promise}: ${found.count} violation(s)`];
  for (const violation of found.first) lines.push(`          ${describe(violation)}`);
  if (found.count > found.first.length) {
    lines.push(`          ... and ${found.count - found.first.length} more`);
  }
  return lines;
}

/** The report as an operator reads it: one line per check, each violation under its check. */
export function formatInvariantReport(report: LedgerInvariantReport): string {
  const { accounts, transactions, postings } = report.totals;
  const v = report.violations;
  const checks = [
    section(
      'every transaction sums to zero in one currency',
      v.unbalancedTransactions,
      (t) => `transaction ${t.transactionId} sums to ${t.sumCents} in ${t.currencies.join(', ')}`,
    ),
    section(
      'no user account is below zero',
      v.negativeUserAccounts,
      (a) => `account ${a.accountId} of ${a.ownerId} holds ${a.balanceCents} ${a.currency}`,
    ),
    section(
      "every stored balance is the sum of its account's postings",
      v.balanceMismatches,
      (a) => `account ${a.accountId} stores ${a.storedCents}, its postings sum to ${a.postedCents}`,
    ),
    section(
      'every credit balance is what is left of its lots',
      v.lotMismatches,
      (a) => `account ${a.accountId} holds ${a.balanceCents}, its lots ${a.lotsCents}`,
    ),
    section(
      'every reserved balance is what its held checkouts hold',
      v.reservationMismatches,
      (a) => `account ${a.accountId} holds ${a.balanceCents}, its checkouts ${a.heldCents}`,
    ),
  ];
  const failed = checks.filter((lines) => lines[0].startsWith('  FAIL')).length;
  return [
    `wallet ledger at ${report.checkedAt}: ${accounts} accounts, ${transactions} transactions, ` +
      `${postings} postings`,
    ...checks.flat(),
    report.ok
      ? 'ledger invariants hold'
      : `ledger invariants VIOLATED: ${failed} of ${checks.length} checks failed`,
  ].join('\n');
}
