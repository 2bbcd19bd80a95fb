import { Injectable, Logger } from '@nestjs/common';
import { BookingCancelledV1, BookingConfirmedV1, EventEnvelope } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { LedgerAccounts } from '../ledger/ledger-accounts';
import { AccountRef, userAccount } from '../ledger/legs';
import { WalletError } from '../wallet-error';
import { CaptureReservation } from './capture-reservation.usecase';
import { CreditReservation, CreditReservations } from './credit-reservation';
import { ReturnReservation } from './return-reservation.usecase';

/** A hold a booking-confirmed can still capture: held, or lapsed before the confirmation. */
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
 * The durable half of checkout: bookings captures and returns holds synchronously, and these
 * events, committed with the booking's change, finish whatever a failed call left undone.
 */
@Injectable()
export class BookingSettledConsumer {
  private readonly logger = new Logger(BookingSettledConsumer.name);
  /** What each confirmed run's prelude locked, by the run's transaction: gone with it. */
  private readonly runs = new WeakMap<EntityManager, Map<string, CreditReservation[]>>();

  constructor(
    private readonly reservations: CreditReservations,
    private readonly accounts: LedgerAccounts,
    private readonly capture: CaptureReservation,
    private readonly giveBack: ReturnReservation,
  ) {}

  /**
   * A run's prelude: every reservation of the run's bookings locked in one statement (reference
   * order), then every user account their captures move in one more (id order), the order the
   * wallet's HTTP capture takes them in too. Locking them event by event instead let a run that
   * held one student's account wait for a hold an HTTP capture held, which waited for that
   * account: a deadlock, also between two partitions' runs sharing students.
   */
  async lockConfirmedRun(
    events: Array<EventEnvelope<BookingConfirmedV1>>,
    tx: EntityManager,
  ): Promise<void> {
    const found = await this.reservations.lockOfBookings(
      tx,
      events.map((e) => e.payload.bookingId),
    );
    await this.accounts.findAndLock(tx, found.filter(capturable).flatMap(captureRefs));
    const byBooking = new Map<string, CreditReservation[]>();
    for (const r of found) byBooking.set(r.bookingId, [...(byBooking.get(r.bookingId) ?? []), r]);
    this.runs.set(tx, byBooking);
  }

  async confirmed(event: EventEnvelope<BookingConfirmedV1>, tx: EntityManager): Promise<void> {
    // After the prelude, a captured hold stays captured under its lock and costs no statement;
    // a released one is still asked, so that a cancellation that came first is logged.
    const run = this.runs.get(tx);
    const references = run
      ? (run.get(event.payload.bookingId) ?? [])
          .filter((r) => r.status !== 'captured' && r.status !== 'refunded')
          .map((r) => r.reference)
      : await this.reservations.ofBooking(tx, event.payload.bookingId);
    for (const reference of references) {
      try {
        await this.capture.execute(tx, reference);
      } catch (err) {
        // Released because the booking was cancelled first: the cancellation stands.
        if (!(err instanceof WalletError) || err.code !== 'RESERVATION_RELEASED') throw err;
        this.logger.warn({ message: 'booking-confirmed: hold already released', reference });
      }
    }
  }

  async cancelled(event: EventEnvelope<BookingCancelledV1>, tx: EntityManager): Promise<void> {
    for (const reference of await this.reservations.ofBooking(tx, event.payload.bookingId)) {
      await this.giveBack.execute(tx, reference, 'booking_cancelled');
    }
  }
}
