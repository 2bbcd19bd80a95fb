import { Injectable, Logger } from '@nestjs/common';
import { BookingCancelledV1, BookingConfirmedV1, EventEnvelope } from '@rewards/contracts';
import { EntityManager } from 'typeorm';
import { WalletError } from '../wallet-error';
import { CaptureReservation } from './capture-reservation.usecase';
import { CreditReservations } from './credit-reservation';
import { ReturnReservation } from './return-reservation.usecase';

/**
 * The durable half of checkout: bookings captures and returns holds synchronously, and these
 * events, committed with the booking's change, finish whatever a failed call left undone.
 */
@Injectable()
export class BookingSettledConsumer {
  private readonly logger = new Logger(BookingSettledConsumer.name);

  constructor(
    private readonly reservations: CreditReservations,
    private readonly capture: CaptureReservation,
    private readonly giveBack: ReturnReservation,
  ) {}

  async confirmed(event: EventEnvelope<BookingConfirmedV1>, tx: EntityManager): Promise<void> {
    for (const reference of await this.reservations.ofBooking(tx, event.payload.bookingId)) {
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
