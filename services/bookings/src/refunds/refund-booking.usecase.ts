import { Injectable } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { BookingsError } from '../bookings-error';
import { CardPayments } from '../payments/card-payments';
import { Booking } from '../bookings/booking.entity';

/**
 * Support refunds a booking, taught or not: the card charge is refunded at Stripe, then it
 * becomes cancelled and booking-cancelled (refunded)
 * is published in the same commit, so rewards it earned are voided or clawed back. Refunding
 * twice changes nothing and publishes nothing.
 */
@Injectable()
export class RefundBooking {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly payments: CardPayments,
  ) {}

  async execute(bookingId: string, reason: string): Promise<Booking> {
    const booking = await this.dataSource.transaction(async (tx) => {
      const found = await tx.findOne(Booking, {
        where: { id: bookingId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!found) throw new BookingsError('BOOKING_NOT_FOUND', 'no such booking');
      if (found.status === 'cancelled') return found;
      // Under the row's lock, before the change commits: a refund Stripe did not make leaves the
      // booking as it was (the caller retries; the refund's key makes a retry a replay).
      if (found.paymentIntentId !== null && found.paymentRefundId === null) {
        found.paymentRefundId = await this.payments.refund(found.id, found.paymentIntentId);
      }
      const now = this.clock.now();
      found.status = 'cancelled';
      await tx.save(found);
      await this.outbox.add(
        tx,
        Topics.BookingCancelled,
        found.id,
        {
          bookingId: found.id,
          studentId: found.studentId,
          instructorId: found.instructorId,
          refunded: true,
          reason,
          cancelledAt: now.toISOString(),
        },
        { occurredAt: now },
      );
      return found;
    });
    this.relay.kick();
    return booking;
  }
}
