import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { toSafeInteger } from '../ledger/ledger-posting.entity';

export interface LotTake {
  lotId: string;
  amountCents: number;
}

export interface OpenLotCommand {
  accountId: string;
  ownerId: string;
  rewardId: string | null;
  transactionId: string;
  currency: string;
  amountCents: number;
  unlockedAt: Date;
  expiresAt: Date;
}

/** SQL expressions (parameters, or a CTE's column) of what lotTakeCtes takes. */
interface LotTakeOperands {
  accountId: string;
  preferredLotId: string;
  amountCents: string;
  transactionId: string;
  /** Taken only when this holds (e.g. the transaction was inserted). */
  when?: string;
}

/**
 * The CTEs that take an amount of an account's lots for a transaction, for a statement that may
 * write more beside: the preferred lot first, then the soonest-expiring ones, each emptied before
 * the next; the lots are locked, taken from and each take recorded. `taken` (lot_id,
 * amount_cents, before) says what was taken.
 */
export function lotTakeCtes(o: LotTakeOperands): string {
  return `lots AS MATERIALIZED (
         SELECT id, remaining_cents, coalesce(id = ${o.preferredLotId}, false) AS preferred,
                expires_at
           FROM credit_lots
          WHERE account_id = ${o.accountId} AND remaining_cents > 0 AND ${o.when ?? 'true'}
          ORDER BY preferred DESC, expires_at, id
            FOR UPDATE
       ), ahead AS (
         SELECT id, remaining_cents,
                sum(remaining_cents) OVER (ORDER BY preferred DESC, expires_at, id)
                  - remaining_cents AS before
           FROM lots
       ), taken AS (
         SELECT id AS lot_id, least(remaining_cents, ${o.amountCents} - before) AS amount_cents,
                before
           FROM ahead WHERE before < ${o.amountCents}
       ), spent AS (
         UPDATE credit_lots l SET remaining_cents = l.remaining_cents - taken.amount_cents
           FROM taken WHERE l.id = taken.lot_id
       ), used AS (
         INSERT INTO credit_lot_uses (lot_id, transaction_id, amount_cents)
         SELECT lot_id, ${o.transactionId}, amount_cents FROM taken
       )`;
}

/**
 * The lots a user's credit balance is made of. Every posting that takes from a credit account
 * takes the same amount from its lots here, in the same transaction, after locking the account
 * (the posting's lock), so lots are always locked after their account.
 */
@Injectable()
export class CreditLots {
  constructor(private readonly clock: Clock) {}

  async open(tx: EntityManager, command: OpenLotCommand): Promise<string> {
    const id = randomUUID();
    await tx.query(
      `INSERT INTO credit_lots (id, account_id, owner_id, reward_id, source_transaction_id,
                                currency, amount_cents, remaining_cents, unlocked_at, expires_at,
                                created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)`,
      [
        id,
        command.accountId,
        command.ownerId,
        command.rewardId,
        command.transactionId,
        command.currency,
        command.amountCents,
        command.unlockedAt,
        command.expiresAt,
        this.clock.now(),
      ],
    );
    return id;
  }

  /**
   * Takes `amountCents` of an account's lots for a transaction: the preferred lot first (a void
   * takes back its own credit), then the soonest-expiring ones, each emptied before the next.
   * One statement locks the lots, takes from them and records each take. Refuses when they hold
   * less than the amount, which would mean the lots no longer match the balance they make up
   * (what was written goes with the caller's transaction).
   */
  async take(
    tx: EntityManager,
    accountId: string,
    transactionId: string,
    amountCents: number,
    preferredLotId: string | null = null,
  ): Promise<LotTake[]> {
    const rows = await tx.query<Array<{ lot_id: string; amount_cents: string }>>(
      `WITH ${lotTakeCtes({ accountId: '$1', preferredLotId: '$2::uuid', amountCents: '$3', transactionId: '$4::uuid' })}
       SELECT lot_id, amount_cents::text FROM taken ORDER BY before`,
      [accountId, preferredLotId, amountCents, transactionId],
    );
    const takes = rows.map((r) => ({
      lotId: r.lot_id,
      amountCents: toSafeInteger(r.amount_cents),
    }));
    const took = takes.reduce((sum, t) => sum + t.amountCents, 0);
    if (took < amountCents) {
      throw new Error(`credit lots hold ${took} cents, ${amountCents} to take`);
    }
    return takes;
  }

  /**
   * What a transaction took from lots and has not been given back yet, split into lots still
   * spendable at `now` and the part whose lots expired meanwhile (that part is expired credit).
   */
  async takenBy(
    tx: EntityManager,
    transactionId: string,
    now: Date,
  ): Promise<{ live: LotTake[]; expired: LotTake[] }> {
    const rows = await tx.query<Array<{ lot_id: string; cents: string; expires_at: Date }>>(
      `SELECT u.lot_id, (u.amount_cents - coalesce(r.amount_cents, 0))::text AS cents,
              l.expires_at
         FROM credit_lot_uses u
         JOIN credit_lots l ON l.id = u.lot_id
         LEFT JOIN (SELECT lot_id, sum(amount_cents) AS amount_cents FROM credit_lot_returns
                     WHERE from_transaction_id = $1 GROUP BY lot_id) r ON r.lot_id = u.lot_id
        WHERE u.transaction_id = $1
        ORDER BY l.expires_at, u.lot_id`,
      [transactionId],
    );
    const live: LotTake[] = [];
    const expired: LotTake[] = [];
    for (const row of rows) {
      const take = { lotId: row.lot_id, amountCents: toSafeInteger(row.cents) };
      if (take.amountCents <= 0) continue;
      (row.expires_at.getTime() <= now.getTime() ? expired : live).push(take);
    }
    return { live, expired };
  }

  /**
   * Settles what `fromTransactionId` took, for the returning transaction: live takes go back
   * into their lots; expired ones are recorded as gone to expired credit.
   */
  async giveBack(
    tx: EntityManager,
    returnTransactionId: string,
    fromTransactionId: string,
    taken: { live: LotTake[]; expired: LotTake[] },
  ): Promise<void> {
    const all = [
      ...taken.live.map((t) => ({ ...t, expired: false })),
      ...taken.expired.map((t) => ({ ...t, expired: true })),
    ];
    for (const { lotId, amountCents, expired } of all) {
      if (!expired) {
        await tx.query(
          'UPDATE credit_lots SET remaining_cents = remaining_cents + $2 WHERE id = $1',
          [lotId, amountCents],
        );
      }
      await tx.query(
        `INSERT INTO credit_lot_returns (lot_id, transaction_id, from_transaction_id,
                                         amount_cents, expired)
         VALUES ($1, $2, $3, $4, $5)`,
        [lotId, returnTransactionId, fromTransactionId, amountCents, expired],
      );
    }
  }

  async lotOfCredit(tx: EntityManager, creditTransactionId: string): Promise<string | null> {
    const [row] = await tx.query<Array<{ id: string }>>(
      'SELECT id FROM credit_lots WHERE source_transaction_id = $1',
      [creditTransactionId],
    );
    return row?.id ?? null;
  }
}
