import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { reminderDays, WalletConfig } from '../config/wallet.config';
import { UserAccountKind } from '../ledger/ledger-account.entity';
import { toSafeInteger } from '../ledger/ledger-posting.entity';

interface ExpiringCreditView {
  creditId: string;
  amountCents: number;
  expiresAt: string;
}

interface CurrencyBalanceView {
  currency: string;
  /** Spendable now. */
  availableCents: number;
  /** Earned rewards still held (not unlocked yet). */
  pendingCents: number;
  /** Owed after a void found its credit spent; paid back from the next credit. */
  debtCents: number;
  /** Held by checkouts in progress: neither available nor gone until the booking settles. */
  reservedCents: number;
  /** An instructor's platform-fee rebate left: lowers the fee of their next lessons. */
  feeRebateCents: number;
  /** Lots expiring within the first reminder's window, soonest first. */
  expiringSoon: ExpiringCreditView[];
}

export interface WalletBalanceView {
  ownerId: string;
  balances: CurrencyBalanceView[];
}

interface AccountRow {
  kind: UserAccountKind;
  currency: string;
  balance_cents: string;
}

/** A user's balances: one row per account (O(1)), plus their lots expiring soon. */
@Injectable()
export class WalletBalance {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: WalletConfig,
    private readonly clock: Clock,
  ) {}

  async forOwner(ownerId: string): Promise<WalletBalanceView> {
    const now = this.clock.now();
    const horizonDays = reminderDays(this.config)[0] ?? 0;
    const horizon = new Date(now.getTime() + horizonDays * 24 * 3600 * 1000);
    // One snapshot, so what expires soon is part of what is available.
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      const accounts = await tx.query<AccountRow[]>(
        `SELECT kind, currency, balance_cents FROM ledger_accounts
          WHERE owner_id = $1 ORDER BY currency`,
        [ownerId],
      );
      const pending = await tx.query<Array<{ currency: string; cents: string }>>(
        `SELECT pending_currency AS currency, sum(pending_cents)::text AS cents
           FROM wallet_rewards
          WHERE beneficiary_id = $1 AND status = 'open' AND pending_cents IS NOT NULL
          GROUP BY pending_currency`,
        [ownerId],
      );
      const expiring = await tx.query<
        Array<{ id: string; currency: string; remaining_cents: string; expires_at: Date }>
      >(
        `SELECT id, currency, remaining_cents, expires_at FROM credit_lots
          WHERE owner_id = $1 AND remaining_cents > 0 AND expires_at > $2 AND expires_at <= $3
          ORDER BY expires_at, id`,
        [ownerId, now, horizon],
      );
      const byCurrency = new Map<string, CurrencyBalanceView>();
      const of = (currency: string): CurrencyBalanceView => {
        const code = currency.trim();
        let view = byCurrency.get(code);
        if (!view) {
          view = {
            currency: code,
            availableCents: 0,
            pendingCents: 0,
            debtCents: 0,
            reservedCents: 0,
            feeRebateCents: 0,
            expiringSoon: [],
          };
          byCurrency.set(code, view);
        }
        return view;
      };
      for (const a of accounts) {
        const cents = toSafeInteger(a.balance_cents);
        const view = of(a.currency);
        switch (a.kind) {
          case 'user_credit':
            view.availableCents = cents;
            break;
          case 'user_debt':
            view.debtCents = -cents;
            break;
          case 'user_reserved':
            view.reservedCents = cents;
            break;
          case 'user_fee_rebate':
            view.feeRebateCents = cents;
            break;
        }
      }
      for (const p of pending) of(p.currency).pendingCents = toSafeInteger(p.cents);
      for (const lot of expiring) {
        of(lot.currency).expiringSoon.push({
          creditId: lot.id,
          amountCents: toSafeInteger(lot.remaining_cents),
          expiresAt: lot.expires_at.toISOString(),
        });
      }
      return { ownerId, balances: [...byCurrency.values()] };
    });
  }
}
