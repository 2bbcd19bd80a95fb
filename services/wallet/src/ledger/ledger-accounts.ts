import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Currency } from '@rewards/contracts';
import { Clock } from '@rewards/service-kit';
import { EntityManager, IsNull } from 'typeorm';
import { LedgerAccount, LedgerAccountKind } from './ledger-account.entity';
import { toSafeInteger } from './ledger-posting.entity';
import { AccountRef, accountRefKey } from './legs';

export interface AccountRow {
  id: string;
  owner_id: string | null;
  kind: LedgerAccountKind;
  currency: string;
  created_at: Date;
  balance_cents: string | null;
}

/** The accountRefKey of an account as read. */
export function accountKeyOf(a: LedgerAccount): string {
  return accountRefKey({
    ownerId: a.ownerId,
    kind: a.kind,
    currency: a.currency.trim() as Currency,
  });
}

/** An account as a row of ledger_accounts reads it (balance as text: bigint). */
export function accountFromRow(row: AccountRow): LedgerAccount {
  return Object.assign(new LedgerAccount(), {
    id: row.id,
    ownerId: row.owner_id,
    kind: row.kind,
    currency: row.currency,
    createdAt: new Date(row.created_at),
    balanceCents: row.balance_cents === null ? null : toSafeInteger(row.balance_cents),
  });
}

/** Reads and opens ledger accounts and their balances. */
@Injectable()
export class LedgerAccounts {
  /**
   * Platform accounts by accountRefKey, once seen committed: they are never deleted and never
   * change identity (the database refuses both), and keep no balance, so every posting to one
   * need not look it up again.
   */
  private readonly platform = new Map<string, LedgerAccount>();
  /** Platform accounts a transaction opened: not cached from it, it may still roll back. */
  private readonly openedIn = new WeakMap<EntityManager, Set<string>>();

  constructor(private readonly clock: Clock) {}

  async find(tx: EntityManager, ref: AccountRef): Promise<LedgerAccount | null> {
    return tx.findOneBy(LedgerAccount, {
      ownerId: ref.ownerId === null ? IsNull() : ref.ownerId,
      kind: ref.kind,
      currency: ref.currency,
    });
  }

  /**
   * The accounts of `refs` that exist, in one statement (keyed by accountRefKey), the user ones
   * row-locked until the transaction ends and their balances read under the lock. Every ledger
   * write locks its user accounts in one such statement, in id order, so two writers sharing
   * accounts cannot deadlock. Platform accounts keep no balance row and are never locked: every
   * checkout would otherwise queue on them.
   */
  async findAndLock(tx: EntityManager, refs: AccountRef[]): Promise<Map<string, LedgerAccount>> {
    return (await this.query(tx, refs, false)).accounts;
  }

  /**
   * Like findAndLock when every user account of `refs` exists (`locked`); when one does not,
   * the ones found are answered but none is locked: the caller opens the missing ones and asks
   * again. Locking the found ones first and the others after would take locks out of id order,
   * and a transaction that locked them all in order could then be waiting for one of ours while
   * we wait for one of its.
   */
  async findAndLockAll(
    tx: EntityManager,
    refs: AccountRef[],
  ): Promise<{ accounts: Map<string, LedgerAccount>; locked: boolean }> {
    const { accounts, allLocked } = await this.query(tx, refs, true);
    return { accounts, locked: allLocked };
  }

  private async query(
    tx: EntityManager,
    refs: AccountRef[],
    allOrNone: boolean,
  ): Promise<{ accounts: Map<string, LedgerAccount>; allLocked: boolean }> {
    const accounts = new Map<string, LedgerAccount>();
    const unique = [...new Map(refs.map((ref) => [accountRefKey(ref), ref])).values()].filter(
      (ref) => {
        const cached = this.platform.get(accountRefKey(ref));
        if (cached) accounts.set(accountRefKey(ref), cached);
        return !cached;
      },
    );
    if (unique.length === 0) return { accounts, allLocked: true };
    const users = unique.filter((ref) => ref.ownerId !== null).length;
    // The locking CTE is read whole by the first branch of the UNION before any row is
    // returned, so its locks are taken in its id order, and the balances it answers are read
    // under them. All or none: it locks only when it found every user account asked for.
    const rows = await tx.query<Array<AccountRow & { locked: boolean }>>(
      `WITH wanted AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bpchar[]) AS w(owner_id, kind, currency)
       ), users AS MATERIALIZED (
         SELECT a.id FROM ledger_accounts a
           JOIN wanted w ON a.owner_id = w.owner_id AND a.kind = w.kind AND a.currency = w.currency
       ), locked AS MATERIALIZED (
         SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents
           FROM ledger_accounts a
          WHERE a.id IN (SELECT id FROM users) AND (SELECT count(*) FROM users) >= $4
          ORDER BY a.id
            FOR UPDATE OF a
       )
       SELECT *, true AS locked FROM locked
       UNION ALL
       SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents, false
         FROM ledger_accounts a
        WHERE a.id IN (SELECT id FROM users) AND (SELECT count(*) FROM users) < $4
       UNION ALL
       SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents, false
         FROM ledger_accounts a
         JOIN wanted w ON w.owner_id IS NULL AND a.owner_id IS NULL AND a.kind = w.kind
                      AND a.currency = w.currency`,
      [
        unique.map((r) => r.ownerId),
        unique.map((r) => r.kind),
        unique.map((r) => r.currency),
        allOrNone ? users : 0,
      ],
    );
    let locked = 0;
    const opened = this.openedIn.get(tx);
    for (const row of rows) {
      if (row.locked) locked += 1;
      const account = accountFromRow(row);
      const key = accountKeyOf(account);
      accounts.set(key, account);
      if (account.ownerId === null && !opened?.has(key)) this.platform.set(key, account);
    }
    return { accounts, allLocked: locked === users };
  }

  /**
   * Opens the user accounts `missing` and locks them with the user accounts `found` (existing,
   * none locked: findAndLockAll's answer when one was missing), in one statement: the inserts
   * first, holding no account lock while one waits for a concurrent opener of the same account,
   * then the existing ones locked in id order. An account opened here is ours until commit,
   * balance zero. All or none: when a concurrent transaction opened one first, nothing is locked
   * and null is answered; the caller locks them all again (findAndLockAll sees it by then).
   */
  async openAndLock(
    tx: EntityManager,
    found: AccountRef[],
    missing: AccountRef[],
  ): Promise<Map<string, LedgerAccount> | null> {
    if ([...found, ...missing].some((ref) => ref.ownerId === null)) {
      throw new Error('openAndLock opens and locks user accounts only');
    }
    // The locking CTE reads the count of what was opened before it scans: the inserts run first.
    const rows = await tx.query<AccountRow[]>(
      `WITH opened AS MATERIALIZED (
         INSERT INTO ledger_accounts (id, owner_id, kind, currency, created_at, balance_cents)
         SELECT o.id, o.owner_id, o.kind, o.currency, $5, 0
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bpchar[])
                  AS o(id, owner_id, kind, currency)
         ON CONFLICT (owner_id, kind, currency) DO NOTHING
         RETURNING id, owner_id, kind, currency, created_at, balance_cents::text
       ), locked AS MATERIALIZED (
         SELECT a.id, a.owner_id, a.kind, a.currency, a.created_at, a.balance_cents::text
           FROM ledger_accounts a
           JOIN unnest($6::uuid[], $7::text[], $8::bpchar[]) AS w(owner_id, kind, currency)
             ON a.owner_id = w.owner_id AND a.kind = w.kind AND a.currency = w.currency
          WHERE (SELECT count(*) FROM opened) = cardinality($1::uuid[])
          ORDER BY a.id
            FOR UPDATE OF a
       )
       SELECT * FROM opened UNION ALL SELECT * FROM locked`,
      [
        missing.map(() => randomUUID()),
        missing.map((r) => r.ownerId),
        missing.map((r) => r.kind),
        missing.map((r) => r.currency),
        this.clock.now(),
        found.map((r) => r.ownerId),
        found.map((r) => r.kind),
        found.map((r) => r.currency),
      ],
    );
    const accounts = new Map(
      rows.map((row) => [accountKeyOf(accountFromRow(row)), accountFromRow(row)]),
    );
    const wanted = new Set([...found, ...missing].map(accountRefKey));
    return accounts.size === wanted.size && [...wanted].every((k) => accounts.has(k))
      ? accounts
      : null;
  }

  /** Finds the account, opening it on first use; safe when two transactions open it at once. */
  async findOrOpen(tx: EntityManager, ref: AccountRef): Promise<LedgerAccount> {
    const existing = await this.find(tx, ref);
    if (existing) return existing;
    await this.open(tx, ref);
    const opened = await this.find(tx, ref);
    if (!opened) throw new Error(`ledger account ${ref.kind} could not be opened`);
    return opened;
  }

  /** Opens the account unless it exists (or a concurrent transaction opens it first). */
  async open(tx: EntityManager, ref: AccountRef): Promise<void> {
    if (ref.ownerId === null) {
      const opened = this.openedIn.get(tx) ?? new Set<string>();
      opened.add(accountRefKey(ref));
      this.openedIn.set(tx, opened);
    }
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
