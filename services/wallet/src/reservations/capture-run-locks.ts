import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { AccountRef } from '../ledger/legs';
import { heldCaptureLegs, lateRefs } from './capture-reservation.usecase';
import { CreditReservation, CreditReservations } from './credit-reservation';

/** What a run's prelude locked: its reservations, and the accounts their captures move. */
export interface CaptureRun {
  reservations: CreditReservation[];
  /**
   * By accountRefKey: the user accounts the captures move, locked, with balances read under the
   * lock; the platform accounts held captures pay into, read (never locked).
   */
  accounts: Map<string, LedgerAccount>;
}

/** A hold a confirmed booking can still capture: held, or lapsed before the confirmation. */
const capturable = (r: CreditReservation): boolean =>
  r.status === 'held' || (r.status === 'released' && r.releaseReason === 'expired');

/**
 * The accounts capturing `r` moves: for a hold, its reserved accounts and the platform accounts
 * it pays into (read in the same statement, so that capturing the held ones needs no other
 * look-up); for a lapsed hold, what its owners have and owe.
 */
function captureRefs(r: CreditReservation): AccountRef[] {
  return r.status === 'held' ? heldCaptureLegs(r).map((leg) => leg.account) : lateRefs(r);
}

/**
 * The prelude of capturing several holds in one transaction (a booking-confirmed run, a batch
 * from checkout): every reservation locked in one statement (reference order), then every user
 * account their captures move in one more (id order), the order a single capture takes them in
 * too. Locking them hold by hold instead let one capturer that held a student's account wait for
 * a hold another held, which waited for that account: a deadlock.
 */
@Injectable()
export class CaptureRunLocks {
  constructor(
    private readonly reservations: CreditReservations,
    private readonly accounts: LedgerAccounts,
  ) {}

  /** The reservations of the bookings, locked with what their captures move. */
  async ofBookings(tx: EntityManager, bookingIds: string[]): Promise<CaptureRun> {
    return this.withAccounts(tx, await this.reservations.lockOfBookings(tx, bookingIds));
  }

  /** The reservations of the references that exist, locked with what their captures move. */
  async ofReferences(tx: EntityManager, references: string[]): Promise<CaptureRun> {
    return this.withAccounts(tx, await this.reservations.lockOfReferences(tx, references));
  }

  private async withAccounts(tx: EntityManager, found: CreditReservation[]): Promise<CaptureRun> {
    const accounts = await this.accounts.findAndLock(
      tx,
      found.filter(capturable).flatMap(captureRefs),
    );
    return { reservations: found, accounts };
  }
}
