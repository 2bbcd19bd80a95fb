import { Injectable } from '@nestjs/common';
import { Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { BookingsError } from '../bookings-error';
import { CardPayments } from '../payments/card-payments';
import { reservationReference } from '../checkout/checkout-quote';
import { WalletClient } from '../checkout/wallet.client';
import { Booking } from './booking.entity';

/**
 * The student or the instructor cancels a confirmed lesson: the card charge is refunded at
 * Stripe, then booking-cancelled commits with the change; the wallet credit and fee rebate it used go back (now, and again idempotently when the
 * wallet reads the event); a referee discount it used is free again for the next first lesson.
 * Cancelling twice changes nothing.
 */
@Injectable()
export class CancelBooking {
  constructor(
    private readonly dataSource: DataSource,
    private readonly wallet: WalletClient,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly payments: CardPayments,
  ) {}

  async execute(caller: CallerIdentity, id: string): Promise<Booking> {
    const { booking, changed } = await this.dataSource.transaction(async (tx) => {
      const found = await tx.findOne(Booking, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!found) throw new BookingsError('BOOKING_NOT_FOUND', 'no such booking');
      const by =
        found.studentId === caller.userId
          ? 'student'
          : found.instructorId === caller.userId
            ? 'instructor'
            : null;
      if (by === null) {
        throw new BookingsError('BOOKING_NOT_FOUND', 'no such booking');
      }
      if (found.status === 'cancelled') return { booking: found, changed: false };
      if (found.status !== 'confirmed') {
        throw new BookingsError(
          'BOOKING_NOT_CONFIRMED',
          `a ${found.status} booking cannot be cancelled`,
        );
      }
      // Under the row's lock, before the change commits: a refund Stripe did not make leaves the
      // booking as it was (the caller retries; the refund's key makes a retry a replay).
      if (found.paymentIntentId !== null && found.paymentRefundId === null) {
        found.paymentRefundId = await this.payments.refund(found.id, found.paymentIntentId);
      }
      const now = this.clock.now();
      found.status = 'cancelled';
      found.cancelledAt = now;
      found.cancelledBy = by;
      await tx.save(found);
      await this.outbox.add(
        tx,
        Topics.BookingCancelled,
        found.id,
        {
          bookingId: found.id,
          studentId: found.studentId,
          instructorId: found.instructorId,
          refunded: found.priceCents > 0,
          reason: `cancelled_by_${by}`,
          cancelledAt: now.toISOString(),
        },
        { occurredAt: now },
      );
      return { booking: found, changed: true };
    });
    this.relay.kick();
    const movedWalletFunds = booking.benefitKind === 'wallet_credit' || booking.feeRebateCents > 0;
    if (changed && booking.quoteId !== null && movedWalletFunds) {
      await this.wallet.tryGiveBack(reservationReference(booking.quoteId), 'booking_cancelled');
    }
    return booking;
  }
}
