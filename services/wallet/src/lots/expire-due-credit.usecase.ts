import { Injectable } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxWriter } from '@rewards/messaging';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { platformAccount, userAccount } from '../ledger/legs';
import { toSafeInteger } from '../ledger/ledger-posting.entity';
import { PostTransaction } from '../ledger/post-transaction';
import { CreditLots } from './credit-lots';

const creditExpiryKey = (lotId: string): string => `credit-expired:${lotId}`;

interface DueLotRow {
  id: string;
  account_id: string;
  owner_id: string;
  reward_id: string | null;
  currency: Currency;
  remaining_cents: string;
  expires_at: Date;
}

/**
 * Moves what is left of lots past their expiry to the platform's expired-credit account and
 * announces each with credit-expired, in the caller's transaction.
 */
@Injectable()
export class ExpireDueCredit {
  constructor(
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Expires up to `limit` lots due at `now`; returns how many. */
  async execute(tx: EntityManager, now: Date, limit: number): Promise<number> {
    const due = await tx.query<Array<{ id: string; account_id: string }>>(
      `SELECT id, account_id FROM credit_lots
        WHERE remaining_cents > 0 AND expires_at <= $1
        ORDER BY expires_at, id LIMIT $2`,
      [now, limit],
    );
    let expired = 0;
    for (const { id, account_id: accountId } of due) {
      // Account first, then lot: the order every debit of the account takes them in.
      await this.accounts.lock(tx, [accountId]);
      const [lot] = await tx.query<DueLotRow[]>(
        `SELECT id, account_id, owner_id, reward_id, currency, remaining_cents, expires_at
           FROM credit_lots WHERE id = $1 AND remaining_cents > 0 FOR UPDATE`,
        [id],
      );
      if (!lot) continue;
      if (await this.expire(tx, lot)) expired += 1;
    }
    return expired;
  }

  private async expire(tx: EntityManager, lot: DueLotRow): Promise<boolean> {
    const amountCents = toSafeInteger(lot.remaining_cents);
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: creditExpiryKey(lot.id),
      kind: 'credit_expiry',
      sourceId: lot.reward_id ?? lot.id,
      occurredAt: lot.expires_at,
      legs: [
        {
          account: userAccount('user_credit', lot.owner_id, lot.currency),
          amountCents: -amountCents,
        },
        { account: platformAccount('platform_expired_credit', lot.currency), amountCents },
      ],
      note: `credit unlocked for reward ${lot.reward_id ?? 'unknown'} expired unspent`,
    });
    if (!posted.created) return false;
    await this.lots.take(tx, lot.account_id, posted.transaction.id, amountCents, lot.id);
    await tx.query('UPDATE credit_lots SET expired_at = $2 WHERE id = $1', [
      lot.id,
      lot.expires_at,
    ]);
    await this.outbox.add(
      tx,
      Topics.CreditExpired,
      lot.owner_id,
      {
        creditId: lot.id,
        ownerId: lot.owner_id,
        amount: { amountCents, currency: lot.currency },
        expiredAt: lot.expires_at.toISOString(),
      },
      { occurredAt: lot.expires_at },
    );
    return true;
  }
}
