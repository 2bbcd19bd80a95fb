import type { LedgerInvariantReport } from './check-invariants';
import { formatInvariantReport } from './invariant-report';

const none = { count: 0, first: [] };
const clean: LedgerInvariantReport = {
  ok: true,
  checkedAt: '2026-12-01T13:00:00.000Z',
  totals: { accounts: 4, transactions: 2, postings: 4 },
  violations: {
    unbalancedTransactions: none,
    negativeUserAccounts: none,
    balanceMismatches: none,
    lotMismatches: none,
    reservationMismatches: none,
  },
};

describe(formatInvariantReport.name, () => {
  it('says each check held and that the ledger is sound', () => {
    const text = formatInvariantReport(clean);

    expect(text.split('\n')).toEqual([
      'wallet ledger at 2026-12-01T13:00:00.000Z: 4 accounts, 2 transactions, 4 postings',
      '  ok    every transaction sums to zero in one currency',
      '  ok    no user account is below zero',
      "  ok    every stored balance is the sum of its account's postings",
      '  ok    every credit balance is what is left of its lots',
      '  ok    every reserved balance is what its held checkouts hold',
      'ledger invariants hold',
    ]);
  });

  it('lists each violation under its check and counts what it did not list', () => {
    const text = formatInvariantReport({
      ...clean,
      ok: false,
      violations: {
        ...clean.violations,
        unbalancedTransactions: {
          count: 101,
          first: [{ transactionId: 'tx-1', sumCents: '-250', currencies: ['USD'] }],
        },
        balanceMismatches: {
          count: 1,
          first: [{ accountId: 'acc-1', storedCents: '0', postedCents: '-250' }],
        },
      },
    });

    expect(text).toContain(
      '  FAIL  every transaction sums to zero in one currency: 101 violation(s)\n' +
        '          transaction tx-1 sums to -250 in USD\n' +
        '          ... and 100 more',
    );
    expect(text).toContain('          account acc-1 stores 0, its postings sum to -250');
    expect(text).toContain('  ok    no user account is below zero');
    expect(text.endsWith('ledger invariants VIOLATED: 2 of 5 checks failed')).toBe(true);
  });
});
