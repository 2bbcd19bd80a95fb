import { Injectable } from '@nestjs/common';
import { Currency } from '@rewards/contracts';
import { DataSource } from 'typeorm';
import { toSafeInteger } from '../ledger/ledger-posting.entity';

export interface CheckoutFundsView {
  currency: Currency;
  /** The student's spendable credit now. */
  creditCents: number;
  /** The instructor's fee rebate left now (0 without an instructor). */
  feeRebateCents: number;
}

/** What a checkout could use right now: two balance rows, O(1). */
@Injectable()
export class CheckoutFunds {
  constructor(private readonly dataSource: DataSource) {}

  async of(
    studentId: string,
    instructorId: string | null,
    currency: Currency,
  ): Promise<CheckoutFundsView> {
    const rows = await this.dataSource.query<Array<{ kind: string; balance_cents: string }>>(
      `SELECT kind, balance_cents FROM ledger_accounts
        WHERE currency = $3
          AND ((owner_id = $1 AND kind = 'user_credit')
            OR (owner_id = $2 AND kind = 'user_fee_rebate'))`,
      [studentId, instructorId, currency],
    );
    const of = (kind: string) => toSafeInteger(rows.find((r) => r.kind === kind)?.balance_cents);
    return { currency, creditCents: of('user_credit'), feeRebateCents: of('user_fee_rebate') };
  }
}
