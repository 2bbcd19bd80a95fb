import { Injectable } from '@nestjs/common';
import { Currency } from '@rewards/contracts';
import { Clock } from '@rewards/service-kit';
import { EntityManager } from 'typeorm';
import { WalletConfig } from '../config/wallet.config';
import { accountRefKey, Leg, userAccount } from '../ledger/legs';
import { assertReference, PostTransaction } from '../ledger/post-transaction';
import { CreditLots } from '../lots/credit-lots';
import { WalletError } from '../wallet-error';
import { CreditReservation, CreditReservations } from './credit-reservation';
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
    private readonly reservations: CreditReservations,
    private readonly postTransaction: PostTransaction,
    private readonly lots: CreditLots,
    private readonly config: WalletConfig,
    private readonly clock: Clock,
  ) {}

  async execute(tx: EntityManager, c: ReserveCheckoutFundsCommand): Promise<CreditReservation> {
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
    const replay = await this.replayOf(tx, c);
    if (replay) return replay;

    const legs: Leg[] = [];
    if (c.creditCents > 0) {
      legs.push(
        {
          account: userAccount('user_credit', c.studentId, c.currency),
          amountCents: -c.creditCents,
        },
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
    const now = this.clock.now();
    const posted = await this.postTransaction.execute(tx, {
      idempotencyKey: reserveKey(c.reference),
      kind: 'checkout_reserve',
      sourceId: c.bookingId,
      occurredAt: now,
      legs,
      // No row for the reference: nothing was reserved with it (a concurrent request that
      // commits one first is caught by the insert).
      unusedKey: true,
    });
    if (!posted.created) {
      // A concurrent request with this reference committed first: its row is the answer.
      const winner = await this.replayOf(tx, c);
      if (!winner) throw new Error(`reservation ${c.reference} has a ledger entry but no row`);
      return winner;
    }
    if (c.creditCents > 0) {
      const credit = posted.accounts?.get(
        accountRefKey(userAccount('user_credit', c.studentId, c.currency)),
      );
      if (!credit) throw new Error(`credit account of ${c.studentId} was not posted to`);
      await this.lots.take(tx, credit.id, posted.transaction.id, c.creditCents);
    }
    const reservation = {
      reference: c.reference,
      bookingId: c.bookingId,
      studentId: c.studentId,
      creditCents: c.creditCents,
      instructorId: c.instructorId,
      feeRebateCents: c.feeRebateCents,
      currency: c.currency,
      expiresAt: new Date(now.getTime() + this.config.RESERVATION_TTL_MS),
      reserveTransactionId: posted.transaction.id,
    };
    return this.reservations.insert(tx, reservation);
  }

  private async replayOf(
    tx: EntityManager,
    c: ReserveCheckoutFundsCommand,
  ): Promise<CreditReservation | null> {
    const existing = await this.reservations.lock(tx, c.reference);
    if (!existing) return null;
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
}
