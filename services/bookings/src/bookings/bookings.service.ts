import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { BookingsError } from '../bookings-error';
import { platformFeeCents } from '../checkout/choose-benefit';
import { BookingsConfig } from '../config/bookings.config';
import { CardPayment, CardPayments } from '../payments/card-payments';
import { ChargeAttempts } from '../payments/charge-attempts';
import { Booking } from './booking.entity';
import { insertBookingWithEvent } from './insert-booking';
import { CreateBookingDto } from './dto/create-booking.dto';
import { checkLessonDraft } from './lesson-draft';

@Injectable()
export class BookingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly payments: CardPayments,
    private readonly attempts: ChargeAttempts,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  /**
   * Books and confirms a lesson at its list price, without a quote (no benefit applied). A
   * priced lesson is charged to the student's card first; a booking that then cannot commit
   * refunds the charge.
   */
  async create(caller: CallerIdentity, dto: CreateBookingDto): Promise<Booking> {
    const now = this.clock.now();
    const paymentMethodId = CardPayments.methodFor(dto.priceCents, dto.paymentMethodId);
    const id = randomUUID();
    let payment: CardPayment | undefined;
    if (paymentMethodId !== undefined) {
      // Refuses a lesson that cannot be booked before the card is charged for it.
      await checkLessonDraft(
        this.dataSource.manager,
        caller.userId,
        dto,
        now,
        this.config.MAX_LESSON_MINUTES,
      );
      payment = await this.payments.charge({
        bookingId: id,
        studentId: caller.userId,
        amountCents: dto.priceCents,
        currency: dto.currency,
        paymentMethodId,
      });
    }
    const booking = await this.book(caller, dto, id, now, payment).catch(async (err: unknown) => {
      if (payment) await this.payments.tryRefund(id, payment);
      throw err;
    });
    this.relay.kick();
    return booking;
  }

  private async book(
    caller: CallerIdentity,
    dto: CreateBookingDto,
    id: string,
    now: Date,
    payment: CardPayment | undefined,
  ): Promise<Booking> {
    return this.dataSource.transaction(async (tx) => {
      const { student, instructor, startsAt, endsAt } = await checkLessonDraft(
        tx,
        caller.userId,
        dto,
        now,
        this.config.MAX_LESSON_MINUTES,
      );
      const created = Object.assign(new Booking(), {
        id,
        studentId: student.id,
        instructorId: instructor.id,
        startsAt,
        endsAt,
        priceCents: dto.priceCents,
        currency: dto.currency,
        status: 'confirmed',
        confirmedAt: now,
        completedAt: null,
        completedBy: null,
        quoteId: null,
        benefitKind: 'none',
        benefitCents: 0,
        platformFeeCents: platformFeeCents(dto.priceCents, this.config.PLATFORM_FEE_BPS),
        feeRebateCents: 0,
        cancelledAt: null,
        cancelledBy: null,
        paymentIntentId: payment?.paymentIntentId ?? null,
        paymentFingerprintHash: payment?.fingerprintHash ?? null,
        paymentRefundId: null,
      } satisfies Booking);
      await insertBookingWithEvent(tx, created, (firstParam) =>
        this.outbox.row(
          Topics.BookingConfirmed,
          created.id,
          {
            bookingId: created.id,
            studentId: created.studentId,
            instructorId: created.instructorId,
            price: { amountCents: created.priceCents, currency: dto.currency },
            startsAt: startsAt.toISOString(),
            endsAt: endsAt.toISOString(),
            confirmedAt: now.toISOString(),
          },
          { occurredAt: now },
          firstParam,
        ),
      );
      if (payment) {
        await this.attempts.markBooked(tx, payment.attemptId, payment.paymentIntentId);
      }
      return created;
    });
  }

  async get(caller: CallerIdentity, id: string): Promise<Booking> {
    const booking = await this.dataSource.manager.findOneBy(Booking, { id });
    const party =
      booking !== null &&
      (booking.studentId === caller.userId || booking.instructorId === caller.userId);
    // Another user's booking answers exactly as a missing one: whether it exists is not told.
    if (!booking || (!party && !caller.roles.includes('admin'))) {
      throw new BookingsError('BOOKING_NOT_FOUND', 'no such booking');
    }
    return booking;
  }

  /**
   * The instructor marks a lesson as taught: emits lesson-completed, the trigger for rewards and
   * payouts. Completing twice changes nothing and emits nothing.
   */
  async complete(caller: CallerIdentity, id: string): Promise<Booking> {
    const booking = await this.dataSource.transaction(async (tx) => {
      const found = await tx.findOne(Booking, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      // Another instructor's lesson answers as a missing one: its existence is not told.
      if (!found || found.instructorId !== caller.userId) {
        throw new BookingsError('BOOKING_NOT_FOUND', 'no such booking');
      }
      if (found.status === 'completed') return found;
      if (found.status !== 'confirmed') {
        throw new BookingsError(
          'BOOKING_NOT_CONFIRMED',
          `a ${found.status} booking cannot be completed`,
        );
      }
      const now = this.clock.now();
      if (now.getTime() < found.startsAt.getTime()) {
        throw new BookingsError(
          'LESSON_NOT_STARTED',
          'a lesson can be completed once it has started',
        );
      }
      found.status = 'completed';
      found.completedAt = now;
      found.completedBy = 'instructor';
      await tx.save(found);
      await this.outbox.add(
        tx,
        Topics.LessonCompleted,
        found.id,
        {
          bookingId: found.id,
          studentId: found.studentId,
          instructorId: found.instructorId,
          price: { amountCents: found.priceCents, currency: found.currency as Currency },
          completedBy: 'instructor',
          startsAt: found.startsAt.toISOString(),
          completedAt: now.toISOString(),
          ...(found.paymentFingerprintHash === null
            ? {}
            : { paymentFingerprintHash: found.paymentFingerprintHash }),
        },
        { occurredAt: now },
      );
      return found;
    });
    this.relay.kick();
    return booking;
  }
}
