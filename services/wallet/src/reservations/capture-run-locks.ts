import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { AccountRef, userAccount } from '../ledger/legs';
import { CreditReservation, CreditReservations } from './credit-reservation';

/** A hold a confirmed booking can still capture: held, or lapsed before the confirmation. */
const capturable = (r: CreditReservation): boolean =>
  r.status === 'held' || (r.status === 'released' && r.releaseReason === 'expired');

/** The user accounts capturing `r` moves: its holds, or for a lapsed hold what its owners have. */
function captureRefs(r: CreditReservation): AccountRef[] {
  const owners: Array<[string, 'user_credit' | 'user_fee_rebate']> = [];
  if (r.creditCents > 0) owners.push([r.studentId, 'user_credit']);
  if (r.feeRebateCents > 0 && r.instructorId !== null) {
    owners.push([r.instructorId, 'user_fee_rebate']);
  }
  return owners.flatMap(([ownerId, kind]) =>
    r.status === 'held'
      ? [userAccount('user_reserved', ownerId, r.currency)]
      : [userAccount(kind, ownerId, r.currency), userAccount('user_debt', ownerId, r.currency)],
  );
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
  async ofBookings(tx: EntityManager, bookingIds: string[]): Promise<CreditReservation[]> {
    return this.withAccounts(tx, await this.reservations.lockOfBookings(tx, bookingIds));
  }

  /** The reservations of the references that exist, locked with what their captures move. */
  async ofReferences(tx: EntityManager, references: string[]): Promise<CreditReservation[]> {
    return this.withAccounts(tx, await this.reservations.lockOfReferences(tx, references));
  }

  private async withAccounts(
    tx: EntityManager,
    found: CreditReservation[],
  ): Promise<CreditReservation[]> {
    await this.accounts.findAndLock(tx, found.filter(capturable).flatMap(captureRefs));
    return found;
  }
}
