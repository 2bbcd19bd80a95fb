import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { WalletError } from '../wallet-error';
import { LedgerAccount, movesTowardBound, withinBound } from './ledger-account.entity';
import { LedgerAccounts } from './ledger-accounts';
import { LedgerPosting, toSafeInteger } from './ledger-posting.entity';
import { LedgerTransaction, LedgerTransactionKind } from './ledger-transaction.entity';
import { DraftTransaction, ledgerInsertCtes, PreparedTransaction } from './ledger-insert';
import { AccountRef, accountRefKey, Leg, validateLegs } from './legs';

export interface PostTransactionCommand {
  /** Derived from what caused the movement, so a replay of the cause finds the same key. */
  idempotencyKey: string;
  kind: LedgerTransactionKind;
  sourceId: string;
  occurredAt: Date;
  legs: Leg[];
  note?: string | null;
  /**
   * The caller knows no transaction has this key (its own row, locked, says so): the look-up is
   * skipped, and a concurrent post with the key is still caught by the insert.
   */
  unusedKey?: boolean;
  /**
   * User accounts of the legs the caller has locked already in this transaction, with balances
   * read under the lock (LedgerAccounts.findAndLock): not looked up again.
   */
  lockedAccounts?: ReadonlyMap<string, LedgerAccount>;
}

export interface PostedTransaction {
  transaction: LedgerTransaction;
  postings: LedgerPosting[];
  /** False when the key had been used before: the earlier transaction, nothing written. */
  created: boolean;
  /** The accounts the legs moved, by accountRefKey; only when `created`. */
  accounts?: ReadonlyMap<string, LedgerAccount>;
}

interface PostingRow {
  id: string;
  transaction_id: string;
  account_id: string;
  amount_cents: string;
  currency: string;
}

/**
 * The only way money moves in the ledger. Runs in the caller's transaction, so the movement and
 * the events announcing it commit together. The database re-checks balance and immutability.
 */
@Injectable()
export class PostTransaction {
  constructor(
    private readonly accounts: LedgerAccounts,
    private readonly clock: Clock,
  ) {}

  async execute(tx: EntityManager, command: PostTransactionCommand): Promise<PostedTransaction> {
    assertReference(command.idempotencyKey);
    const { netByAccount } = validateLegs(command.legs, command.note ?? null);
    if (!command.unusedKey) {
      const earlier = await this.findByKey(tx, command.idempotencyKey);
      if (earlier) return sameCause(earlier, command);
    }
    const accounts = await this.accountsOf(
      tx,
      netByAccount.map((n) => n.account),
      command.lockedAccounts,
    );
    const prepared = this.prepare(command, accounts);
    const postings = await this.insert(tx, prepared);
    if (postings === null) {
      // A concurrent post with the same key committed first; it is the answer.
      const winner = await this.findByKey(tx, command.idempotencyKey);
      if (!winner) throw new Error(`ledger transaction ${command.idempotencyKey} vanished`);
      return sameCause(winner, command);
    }
    return { transaction: prepared.transaction, postings, created: true, accounts };
  }

  /**
   * Checks the command against its accounts, every user one locked with its balance read under
   * the lock (only those moving toward their bound need it), and gives the transaction to write:
   * no I/O, so a caller may write it in a statement of its own (ledgerInsertCtes).
   */
  prepare(
    command: PostTransactionCommand,
    accounts: ReadonlyMap<string, LedgerAccount>,
  ): PreparedTransaction {
    const note = command.note ?? null;
    assertReference(command.idempotencyKey);
    const { netByAccount } = validateLegs(command.legs, note);
    const account = (key: string): LedgerAccount => {
      const found = accounts.get(key);
      if (!found) throw new Error(`ledger account ${key} was not resolved`);
      return found;
    };
    for (const { account: ref, amountCents } of netByAccount) {
      if (!movesTowardBound(ref.kind, amountCents)) continue;
      const held = account(accountRefKey(ref));
      const balance = held.balanceCents;
      if (balance === null) throw new Error(`ledger account ${held.id} keeps no balance to guard`);
      if (!withinBound(held.kind, balance + amountCents)) {
        throw new WalletError(
          'INSUFFICIENT_CREDIT',
          `the ${held.kind} balance is ${balance} ${held.currency}, ${-amountCents} needed`,
          { balanceCents: balance, requiredCents: -amountCents, currency: held.currency },
        );
      }
    }
    const legs = command.legs.map((leg) => ({
      account: account(accountRefKey(leg.account)),
      amountCents: leg.amountCents,
    }));
    return { transaction: this.newTransaction(command), legs, accounts };
  }

  /**
   * Checks the command's legs and gives the transaction to write with its accounts named, not
   * resolved: for a statement that locks the accounts, checks their bounds and writes it at once
   * (ledgerInsertOfRefsCtes). No I/O.
   */
  draft(command: PostTransactionCommand): DraftTransaction {
    assertReference(command.idempotencyKey);
    const { netByAccount } = validateLegs(command.legs, command.note ?? null);
    return { transaction: this.newTransaction(command), legs: command.legs, netByAccount };
  }

  private newTransaction(command: PostTransactionCommand): LedgerTransaction {
    return Object.assign(new LedgerTransaction(), {
      id: randomUUID(),
      idempotencyKey: command.idempotencyKey,
      kind: command.kind,
      sourceId: command.sourceId,
      note: command.note ?? null,
      occurredAt: command.occurredAt,
      createdAt: this.clock.now(),
    });
  }

  /**
   * The accounts of `refs`: those the caller locked as they are, the other user ones locked in one
   * sorted statement (platform ones are never locked, and once seen cost no statement). When a
   * user account is not opened yet, nothing is locked until the missing ones are opened (sorted,
   * so two transactions opening the same ones take them in one order); then all are locked,
   * still in one sorted statement.
   */
  async accountsOf(
    tx: EntityManager,
    refs: AccountRef[],
    locked: ReadonlyMap<string, LedgerAccount> = new Map(),
  ): Promise<Map<string, LedgerAccount>> {
    const known = new Map([...locked].filter(([, a]) => a.ownerId !== null));
    const rest = refs.filter((ref) => !known.has(accountRefKey(ref)));
    const found = await this.accounts.findAndLockAll(tx, rest);
    const missing = rest.filter((ref) => !found.accounts.has(accountRefKey(ref)));
    if (found.locked && missing.length === 0) return new Map([...known, ...found.accounts]);
    missing.sort((a, b) => accountRefKey(a).localeCompare(accountRefKey(b)));
    for (const ref of missing) await this.accounts.open(tx, ref);
    const opened = await this.accounts.findAndLockAll(tx, rest);
    if (!opened.locked || opened.accounts.size !== new Set(rest.map(accountRefKey)).size) {
      throw new Error('ledger accounts just opened could not be found and locked');
    }
    return new Map([...known, ...opened.accounts]);
  }

  /**
   * Inserts the transaction and its postings in one statement; null when the key was taken by a
   * concurrent post (nothing written). A memo without legs is the transaction alone.
   */
  private async insert(tx: EntityManager, p: PreparedTransaction): Promise<LedgerPosting[] | null> {
    const { sql, params } = ledgerInsertCtes(p);
    // One row per posting, or one without a posting for a memo; none when the key was taken.
    const rows = await tx.query<Array<PostingRow | { id: null }>>(
      `WITH ${sql}
       SELECT p.id, p.transaction_id, p.account_id, p.amount_cents, p.currency
         FROM t LEFT JOIN postings p ON true`,
      params,
    );
    if (rows.length === 0) return null;
    return rows
      .filter((r): r is PostingRow => r.id !== null)
      .map((r) =>
        Object.assign(new LedgerPosting(), {
          id: toSafeInteger(r.id),
          transactionId: r.transaction_id,
          accountId: r.account_id,
          amountCents: toSafeInteger(r.amount_cents),
          currency: r.currency,
        }),
      )
      .sort((a, b) => a.id - b.id);
  }

  private async findByKey(
    tx: EntityManager,
    idempotencyKey: string,
  ): Promise<PostedTransaction | null> {
    const transaction = await tx.findOneBy(LedgerTransaction, { idempotencyKey });
    if (!transaction) return null;
    const postings = await tx.find(LedgerPosting, {
      where: { transactionId: transaction.id },
      order: { id: 'ASC' },
    });
    return { transaction, postings, created: false };
  }
}

/** References are event- or request-derived keys: printable, bounded, never blank. */
export const REFERENCE = /^[\x21-\x7e]{1,200}$/;

export function assertReference(reference: string): void {
  if (!REFERENCE.test(reference)) {
    throw new WalletError(
      'INVALID_REFERENCE',
      'a reference is 1 to 200 printable characters without spaces',
    );
  }
}

/**
 * A replay returns the first result; the same reference used for another movement is a caller's
 * bug that must not pass as a replay.
 */
export function sameCause(
  earlier: PostedTransaction,
  command: Pick<PostTransactionCommand, 'idempotencyKey' | 'kind' | 'sourceId'>,
): PostedTransaction {
  const { transaction } = earlier;
  if (transaction.kind !== command.kind || transaction.sourceId !== command.sourceId) {
    throw new WalletError(
      'REFERENCE_REUSED',
      `reference ${command.idempotencyKey} was used for a ${transaction.kind} of ${transaction.sourceId}`,
      { reference: command.idempotencyKey, transactionId: transaction.id },
    );
  }
  return earlier;
}
