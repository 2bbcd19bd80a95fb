import { Injectable, Logger } from '@nestjs/common';
import { BookingCancelledV1, BookingConfirmedV1, EventEnvelope } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { WalletError } from '../wallet-error';
import { AnnounceCaptures } from './announce-captures';
import { CaptureHeldReservations } from './capture-held-reservations.usecase';
import { CaptureReservation } from './capture-reservation.usecase';
import { CaptureRunLocks } from './capture-run-locks';
import { CreditReservation, CreditReservations } from './credit-reservation';
import { ReturnReservation } from './return-reservation.usecase';

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
    private readonly locks: CaptureRunLocks,
    private readonly captureHeld: CaptureHeldReservations,
    private readonly capture: CaptureReservation,
    private readonly giveBack: ReturnReservation,
    private readonly announce: AnnounceCaptures,
  ) {}

  /**
   * A run's prelude (CaptureRunLocks): the run's reservations, then the accounts their captures
   * move, each in one statement, in the order checkout's batch capture takes them in too; then
   * the holds still plainly held captured together in one more (CaptureHeldReservations), as a
   * batch from checkout is. Locking them event by event instead let a run that held one
   * student's account wait for a hold a capture from checkout held, which waited for that
   * account: a deadlock, also between two partitions' runs sharing students. The inbox gives
   * the prelude only the run's new events, and commits none of it unless all were applied.
   * Every capture of the run, checkout's own or the run's, is announced here (AnnounceCaptures),
   * but those of lapsed holds, which the events' handlers capture and announce.
   */
  async lockConfirmedRun(
    events: Array<EventEnvelope<BookingConfirmedV1>>,
    tx: EntityManager,
  ): Promise<void> {
    const run = await this.locks.ofBookings(
      tx,
      events.map((e) => e.payload.bookingId),
    );
    const held = await this.captureHeld.execute(tx, run);
    const latest = run.reservations.map((found) => held.get(found.reference) ?? found);
    await this.announce.announce(tx, latest);
    const byBooking = new Map<string, CreditReservation[]>();
    for (const r of latest) {
      byBooking.set(r.bookingId, [...(byBooking.get(r.bookingId) ?? []), r]);
    }
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
    const captured: CreditReservation[] = [];
    for (const reference of references) {
      try {
        captured.push(await this.capture.execute(tx, reference));
      } catch (err) {
        // Released because the booking was cancelled first: the cancellation stands.
        if (!(err instanceof WalletError) || err.code !== 'RESERVATION_RELEASED') throw err;
        this.logger.warn({ message: 'booking-confirmed: hold already released', reference });
      }
    }
    // Each locked by its capture (which answers one captured before as it is).
    await this.announce.announce(tx, captured);
  }

  async cancelled(event: EventEnvelope<BookingCancelledV1>, tx: EntityManager): Promise<void> {
    for (const reference of await this.reservations.ofBooking(tx, event.payload.bookingId)) {
      await this.giveBack.execute(tx, reference, 'booking_cancelled');
    }
  }
}
