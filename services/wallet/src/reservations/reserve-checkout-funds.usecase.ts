import { Injectable } from '@nestjs/common';
import { Currency } from '@rewards/contracts';
import { Clock } from '@rewards/service-kit';
import { DataSource, EntityManager } from 'typeorm';
import { WalletConfig } from '../config/wallet.config';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { PreparedTransaction } from '../ledger/ledger-insert';
import { AccountRef, accountRefKey, Leg, userAccount } from '../ledger/legs';
import {
  assertReference,
  PostTransaction,
  PostTransactionCommand,
} from '../ledger/post-transaction';
import { WalletError } from '../wallet-error';
import { CreditReservation, CreditReservations, NewReservation } from './credit-reservation';
import { HoldLocks, HoldStatements } from './hold-statements';
import { MAX_RESERVATION_CENTS, reserveKey } from './reservation-keys';

export interface ReserveCheckoutFundsCommand {
  /** The checkout's idempotency key (bookings derives it from the quote). */
  reference: string;
  bookingId: string;
  studentId: string;
  creditCents: number;
  instructorId: string | null;
  feeRebateCents: number;
  currency: Currency;
}

function assertAmount(name: string, cents: number): void {
  if (!Number.isSafeInteger(cents) || cents < 0 || cents > MAX_RESERVATION_CENTS) {
    throw new WalletError(
      'INVALID_AMOUNT',
      `${name} must be an integer from 0 to ${MAX_RESERVATION_CENTS}, got ${cents}`,
      { field: name },
    );
  }
}

/** Whether a replayed request asks for exactly what the first one reserved. */
function sameRequest(r: CreditReservation, c: ReserveCheckoutFundsCommand): boolean {
  return (
    r.bookingId === c.bookingId &&
    r.studentId === c.studentId &&
    r.creditCents === c.creditCents &&
    r.instructorId === c.instructorId &&
    r.feeRebateCents === c.feeRebateCents &&
    r.currency === c.currency
  );
}

/**
 * Holds a student's credit (soonest-expiring lots first) and an instructor's fee rebate for a
 * checkout: one ledger transaction into each owner's reserved account, refused whole with
 * INSUFFICIENT_CREDIT when either is short. A replay returns the first reservation.
 */
@Injectable()
export class ReserveCheckoutFunds {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reservations: CreditReservations,
    private readonly statements: HoldStatements,
    private readonly accounts: LedgerAccounts,
    private readonly postTransaction: PostTransaction,
    private readonly config: WalletConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * The common hold (a new reference, every account opened) is one statement outside any
   * transaction: a statement is atomic, and a hold announces nothing (no outbox row to commit
   * with it). Anything else takes the full path (holdIn) in a transaction of its own, a refusal
   * too: the statement cannot see a concurrent hold of the reference that committed while it
   * waited, which is then the answer, and the full path words the refusal from its own locks.
   */
  async execute(c: ReserveCheckoutFundsCommand): Promise<CreditReservation> {
    const legs = checkedLegs(c);
    const now = this.clock.now();
    const held = await this.statements.holdAtOnce(
      this.dataSource.manager,
      { ...newReservation(c), expiresAt: this.expiresAt(now) },
      this.postTransaction.draft(reserveCommand(c, legs, now)),
    );
    return held ?? this.dataSource.transaction((tx) => this.holdIn(tx, c, legs));
  }

  /**
   * The full path: the reservation locked first (a replay answers it), then the accounts, the
   * missing ones opened, the legs checked against the balances read under the locks, then the
   * writes; each step a statement of the caller's transaction. `legs` are the command's, checked
   * already when execute found the one statement could not answer.
   */
  async holdIn(
    tx: EntityManager,
    c: ReserveCheckoutFundsCommand,
    legs = checkedLegs(c),
  ): Promise<CreditReservation> {
    const refs = [...new Map(legs.map((l) => [accountRefKey(l.account), l.account])).values()];
    // The reservation first, then (when there is none) the accounts, in one statement.
    const found = await this.statements.lockForHold(tx, c.reference, refs);
    if (found.reservation) return replayed(found.reservation, c);
    const accounts = found.locked ? found.accounts : await this.openAndLock(tx, refs, found);
    const now = this.clock.now();
    // The legs checked in code against balances read under the locks, before anything is written.
    let prepared: PreparedTransaction;
    try {
      prepared = this.postTransaction.prepare(reserveCommand(c, legs, now), accounts);
    } catch (err) {
      // A concurrent request with this reference may have held the credit while we waited for
      // the locks: it is the answer, not a refusal.
      if (!(err instanceof WalletError) || err.code !== 'INSUFFICIENT_CREDIT') throw err;
      const winner = await this.reservations.lock(tx, c.reference);
      if (!winner) throw err;
      return replayed(winner, c);
    }
    const credit =
      c.creditCents > 0
        ? accounts.get(accountRefKey(userAccount('user_credit', c.studentId, c.currency)))
        : undefined;
    const held = await this.statements.writeHold(
      tx,
      {
        ...newReservation(c),
        expiresAt: this.expiresAt(now),
        reserveTransactionId: prepared.transaction.id,
      },
      prepared,
      credit?.id ?? null,
    );
    if (held) return held;
    // A concurrent request with this reference committed first: its row is the answer.
    const winner = await this.reservations.lock(tx, c.reference);
    if (!winner) throw new Error(`reservation ${c.reference} has a ledger entry but no row`);
    return replayed(winner, c);
  }

  private expiresAt(now: Date): Date {
    return new Date(now.getTime() + this.config.RESERVATION_TTL_MS);
  }

  /**
   * A student's first hold opens their reserved account: opened and locked with the others in
   * one more statement; when a concurrent hold opened it first, all are locked once more.
   */
  private async openAndLock(
    tx: EntityManager,
    refs: AccountRef[],
    found: HoldLocks,
  ): Promise<Map<string, LedgerAccount>> {
    const exist = refs.filter((ref) => found.accounts.has(accountRefKey(ref)));
    const missing = refs
      .filter((ref) => !found.accounts.has(accountRefKey(ref)))
      .sort((a, b) => accountRefKey(a).localeCompare(accountRefKey(b)));
    const opened = await this.accounts.openAndLock(tx, exist, missing);
    if (opened) return opened;
    const again = await this.accounts.findAndLockAll(tx, refs);
    if (!again.locked) throw new Error('ledger accounts just opened could not be locked');
    return again.accounts;
  }
}

/** The hold's legs, once the command is found to ask for something a hold can be. */
function checkedLegs(c: ReserveCheckoutFundsCommand): Leg[] {
  assertReference(c.reference);
  assertAmount('creditCents', c.creditCents);
  assertAmount('feeRebateCents', c.feeRebateCents);
  if (c.creditCents + c.feeRebateCents === 0) {
    throw new WalletError('INVALID_AMOUNT', 'a reservation must hold some credit or rebate');
  }
  if (c.feeRebateCents > 0 && c.instructorId === null) {
    throw new WalletError('INVALID_AMOUNT', 'a fee rebate needs the instructor it belongs to', {
      field: 'instructorId',
    });
  }
  return holdLegs(c);
}

function reserveCommand(
  c: ReserveCheckoutFundsCommand,
  legs: Leg[],
  now: Date,
): PostTransactionCommand {
  return {
    idempotencyKey: reserveKey(c.reference),
    kind: 'checkout_reserve',
    sourceId: c.bookingId,
    occurredAt: now,
    legs,
  };
}

function newReservation(
  c: ReserveCheckoutFundsCommand,
): Omit<NewReservation, 'expiresAt' | 'reserveTransactionId'> {
  return {
    reference: c.reference,
    bookingId: c.bookingId,
    studentId: c.studentId,
    creditCents: c.creditCents,
    instructorId: c.instructorId,
    feeRebateCents: c.feeRebateCents,
    currency: c.currency,
  };
}

/** Each held amount moves from its owner's spendable account into their reserved one. */
function holdLegs(c: ReserveCheckoutFundsCommand): Leg[] {
  const legs: Leg[] = [];
  if (c.creditCents > 0) {
    legs.push(
      { account: userAccount('user_credit', c.studentId, c.currency), amountCents: -c.creditCents },
      {
        account: userAccount('user_reserved', c.studentId, c.currency),
        amountCents: c.creditCents,
      },
    );
  }
  if (c.feeRebateCents > 0 && c.instructorId !== null) {
    legs.push(
      {
        account: userAccount('user_fee_rebate', c.instructorId, c.currency),
        amountCents: -c.feeRebateCents,
      },
      {
        account: userAccount('user_reserved', c.instructorId, c.currency),
        amountCents: c.feeRebateCents,
      },
    );
  }
  return legs;
}

/** A replay answers the first reservation, if it asked for the same and is not over. */
function replayed(existing: CreditReservation, c: ReserveCheckoutFundsCommand): CreditReservation {
  if (!sameRequest(existing, c)) {
    throw new WalletError(
      'REFERENCE_REUSED',
      `reference ${c.reference} already reserved something else`,
      { reference: c.reference },
    );
  }
  // A hold given back is over: the checkout must start again, never revive it uncharged.
  if (existing.status === 'released' || existing.status === 'refunded') {
    throw new WalletError(
      'RESERVATION_RELEASED',
      `reservation ${c.reference} was ${existing.status} (${existing.releaseReason ?? 'unknown'})`,
    );
  }
  return existing;
}
