import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PAYOUT_STATUSES, PayoutStatus } from '../payouts/payout.entity';
import { PayoutStatsQuery } from './dto/payout-stats.query';

export interface PayoutStatsView {
  /** Payouts by where they stand, with what they add up to (cents, per currency). */
  payouts: Record<PayoutStatus, { count: number; amountCents: Record<string, number> }>;
  /** Every transfer attempt recorded: how many paid, and the failures by reason code. */
  attempts: { succeeded: number; failed: number; failedByReason: Record<string, number> };
  /** Payouts failed for good or reversed, by the reason that ended them. */
  endedByReason: Record<string, number>;
}

/** Counters for operators: successes and failures of payouts and their attempts. */
@Injectable()
export class PayoutStats {
  constructor(private readonly dataSource: DataSource) {}

  async execute(query: PayoutStatsQuery): Promise<PayoutStatsView> {
    const since = query.since === undefined ? null : new Date(query.since);
    const [byStatus, attempts, ended] = await Promise.all([
      this.dataSource.query<
        Array<{ status: PayoutStatus; currency: string; n: string; cents: string }>
      >(
        `SELECT status, currency, count(*) AS n, sum(amount_cents) AS cents
         FROM payouts WHERE $1::timestamptz IS NULL OR requested_at >= $1
         GROUP BY status, currency`,
        [since],
      ),
      this.dataSource.query<Array<{ outcome: string; code: string | null; n: string }>>(
        `SELECT outcome, error_code AS code, count(*) AS n FROM transfer_attempts
         WHERE $1::timestamptz IS NULL OR attempted_at >= $1 GROUP BY outcome, error_code`,
        [since],
      ),
      this.dataSource.query<Array<{ code: string | null; n: string }>>(
        `SELECT last_error_code AS code, count(*) AS n FROM payouts
         WHERE status IN ('failed', 'reversed') AND ($1::timestamptz IS NULL OR requested_at >= $1)
         GROUP BY last_error_code`,
        [since],
      ),
    ]);
    const payouts = Object.fromEntries(
      PAYOUT_STATUSES.map((s) => [s, { count: 0, amountCents: {} }]),
    ) as PayoutStatsView['payouts'];
    for (const row of byStatus) {
      const entry = payouts[row.status];
      entry.count += Number(row.n);
      const currency = row.currency.trim();
      entry.amountCents[currency] = (entry.amountCents[currency] ?? 0) + Number(row.cents);
    }
    const view: PayoutStatsView['attempts'] = { succeeded: 0, failed: 0, failedByReason: {} };
    for (const row of attempts) {
      if (row.outcome === 'succeeded') {
        view.succeeded += Number(row.n);
      } else {
        view.failed += Number(row.n);
        const code = row.code ?? 'UNKNOWN';
        view.failedByReason[code] = (view.failedByReason[code] ?? 0) + Number(row.n);
      }
    }
    return {
      payouts,
      attempts: view,
      endedByReason: Object.fromEntries(ended.map((r) => [r.code ?? 'UNKNOWN', Number(r.n)])),
    };
  }
}
