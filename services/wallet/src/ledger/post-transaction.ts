import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { WalletError } from '../wallet-error';
import { LedgerAccount, movesTowardBound, withinBound } from './ledger-account.entity';
import { LedgerAccounts } from './ledger-accounts';
import { LedgerPosting, toSafeInteger } from './ledger-posting.entity';
import { LedgerTransaction, LedgerTransactionKind } from './ledger-transaction.entity';
import { accountRefKey, Leg, validateLegs } from './legs';

export interface PostTransactionCommand {
  /** Derived from what caused the movement, so a replay of the cause finds the same key. */
  idempotencyKey: string;
  kind: LedgerTransactionKind;
  sourceId: string;
  occurredAt: Date;
  legs: Leg[];
  note?: string | null;
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
    const note = command.note ?? null;
    assertReference(command.idempotencyKey);
    const { netByAccount } = validateLegs(command.legs, note);
    const earlier = await this.findByKey(tx, command.idempotencyKey);
    if (earlier) return sameCause(earlier, command);

    // Existing accounts in one statement; new ones opened sorted, so that two transactions
    // opening the same new accounts take them in one order.
    const refs = netByAccount.map((n) => n.account);
    const resolved = await this.accounts.findMany(tx, refs);
    for (const ref of refs.sort((a, b) => accountRefKey(a).localeCompare(accountRefKey(b)))) {
      if (!resolved.has(accountRefKey(ref))) {
        resolved.set(accountRefKey(ref), await this.accounts.findOrOpen(tx, ref));
      }
    }
    const account = (key: string): LedgerAccount => {
      const found = resolved.get(key);
      if (!found) throw new Error(`ledger account ${key} was not resolved`);
      return found;
    };

    // Only accounts moving toward their bound need the lock: a concurrent move away from it can
    // only make the balance read here look worse, never better.
    const guarded = netByAccount
      .filter((n) => movesTowardBound(n.account.kind, n.amountCents))
      .map((n) => ({ account: account(accountRefKey(n.account)), amountCents: n.amountCents }));
    // Locked and read in one statement.
    const balances = await this.accounts.lockBalances(
      tx,
      guarded.map((g) => g.account.id),
    );
    for (const { account: held, amountCents } of guarded) {
      const balance = balances.get(held.id);
      if (balance === undefined) throw new Error(`ledger account ${held.id} vanished`);
      if (!withinBound(held.kind, balance + amountCents)) {
        throw new WalletError(
          'INSUFFICIENT_CREDIT',
          `the ${held.kind} balance is ${balance} ${held.currency}, ${-amountCents} needed`,
          { balanceCents: balance, requiredCents: -amountCents, currency: held.currency },
        );
      }
    }

    const transaction = Object.assign(new LedgerTransaction(), {
      id: randomUUID(),
      idempotencyKey: command.idempotencyKey,
      kind: command.kind,
      sourceId: command.sourceId,
      note,
      occurredAt: command.occurredAt,
      createdAt: this.clock.now(),
    });
    const inserted = await tx.query<unknown[]>(
      `INSERT INTO ledger_transactions (id, idempotency_key, kind, source_id, note, occurred_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [
        transaction.id,
        transaction.idempotencyKey,
        transaction.kind,
        transaction.sourceId,
        transaction.note,
        transaction.occurredAt,
        transaction.createdAt,
      ],
    );
    if (inserted.length === 0) {
      // A concurrent post with the same key committed first; it is the answer.
      const winner = await this.findByKey(tx, command.idempotencyKey);
      if (!winner) throw new Error(`ledger transaction ${command.idempotencyKey} vanished`);
      return sameCause(winner, command);
    }
    const postings = await this.insertPostings(
      tx,
      transaction.id,
      command.legs.map((leg) => ({
        account: account(accountRefKey(leg.account)),
        amountCents: leg.amountCents,
      })),
    );
    return { transaction, postings, created: true, accounts: resolved };
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

  private async insertPostings(
    tx: EntityManager,
    transactionId: string,
    legs: Array<{ account: LedgerAccount; amountCents: number }>,
  ): Promise<LedgerPosting[]> {
    if (legs.length === 0) return [];
    const values = legs
      .map((_, i) => `($1, $${i * 3 + 2}, $${i * 3 + 3}, $${i * 3 + 4})`)
      .join(', ');
    const rows = await tx.query<PostingRow[]>(
      `INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
       VALUES ${values}
       RETURNING id, transaction_id, account_id, amount_cents, currency`,
      [transactionId, ...legs.flatMap((l) => [l.account.id, l.amountCents, l.account.currency])],
    );
    return rows.map((r) =>
      Object.assign(new LedgerPosting(), {
        id: toSafeInteger(r.id),
        transactionId: r.transaction_id,
        accountId: r.account_id,
        amountCents: toSafeInteger(r.amount_cents),
        currency: r.currency,
      }),
    );
  }
}

/** References are event- or request-derived keys: printable, bounded, never blank. */
const REFERENCE = /^[\x21-\x7e]{1,200}$/;

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
