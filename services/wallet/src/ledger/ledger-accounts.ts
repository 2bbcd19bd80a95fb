import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Currency } from '@rewards/contracts';
import { Clock } from '@rewards/service-kit';
import { EntityManager, IsNull } from 'typeorm';
import { LedgerAccount } from './ledger-account.entity';
import { toSafeInteger } from './ledger-posting.entity';
import { AccountRef, accountRefKey } from './legs';

/** Reads and opens ledger accounts and their balances. */
@Injectable()
export class LedgerAccounts {
  constructor(private readonly clock: Clock) {}

  async find(tx: EntityManager, ref: AccountRef): Promise<LedgerAccount | null> {
    return tx.findOneBy(LedgerAccount, {
      ownerId: ref.ownerId === null ? IsNull() : ref.ownerId,
      kind: ref.kind,
      currency: ref.currency,
    });
  }

  /** The accounts of `refs` that exist, in one statement (keyed by accountRefKey). */
  async findMany(tx: EntityManager, refs: AccountRef[]): Promise<Map<string, LedgerAccount>> {
    if (refs.length === 0) return new Map();
    const found = await tx.find(LedgerAccount, {
      where: refs.map((ref) => ({
        ownerId: ref.ownerId === null ? IsNull() : ref.ownerId,
        kind: ref.kind,
        currency: ref.currency,
      })),
    });
    return new Map(
      found.map((a) => [
        accountRefKey({
          ownerId: a.ownerId,
          kind: a.kind,
          currency: a.currency.trim() as Currency,
        }),
        a,
      ]),
    );
  }

  /** Finds the account, opening it on first use; safe when two transactions open it at once. */
  async findOrOpen(tx: EntityManager, ref: AccountRef): Promise<LedgerAccount> {
    const existing = await this.find(tx, ref);
    if (existing) return existing;
    await tx.query(
      `INSERT INTO ledger_accounts (id, owner_id, kind, currency, created_at, balance_cents)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (owner_id, kind, currency) DO NOTHING`,
      [
        randomUUID(),
        ref.ownerId,
        ref.kind,
        ref.currency,
        this.clock.now(),
        ref.ownerId === null ? null : 0,
      ],
    );
    const opened = await this.find(tx, ref);
    if (!opened) throw new Error(`ledger account ${ref.kind} could not be opened`);
    return opened;
  }

  /**
   * Row-locks accounts until the transaction ends, in id order so that two transactions locking
   * the same accounts cannot deadlock.
   */
  async lock(tx: EntityManager, accountIds: string[]): Promise<void> {
    if (accountIds.length === 0) return;
    await tx.query(
      'SELECT id FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
      [[...new Set(accountIds)]],
    );
  }

  /**
   * Row-locks accounts like `lock` and reads their balances in the same statement: a user
   * account's from its row; a platform account's (kept in no row) is summed afterwards.
   */
  async lockBalances(tx: EntityManager, accountIds: string[]): Promise<Map<string, number>> {
    const balances = new Map<string, number>();
    if (accountIds.length === 0) return balances;
    const rows = await tx.query<Array<{ id: string; balance: string | null }>>(
      `SELECT id, balance_cents AS balance FROM ledger_accounts
        WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[...new Set(accountIds)]],
    );
    for (const row of rows) {
      balances.set(
        row.id,
        row.balance !== null ? toSafeInteger(row.balance) : await this.balanceCents(tx, row.id),
      );
    }
    return balances;
  }

  /** A user account's balance is its row (O(1)); a platform account's is summed. */
  async balanceCents(tx: EntityManager, accountId: string): Promise<number> {
    const [row] = await tx.query<Array<{ balance: string | null }>>(
      'SELECT balance_cents AS balance FROM ledger_accounts WHERE id = $1',
      [accountId],
    );
    if (!row) throw new Error(`ledger account ${accountId} does not exist`);
    if (row.balance !== null) return toSafeInteger(row.balance);
    const [summed] = await tx.query<Array<{ balance: string }>>(
      'SELECT coalesce(sum(amount_cents), 0) AS balance FROM ledger_postings WHERE account_id = $1',
      [accountId],
    );
    return toSafeInteger(summed.balance);
  }
}
