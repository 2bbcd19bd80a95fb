import { Inject, Injectable } from '@nestjs/common';
import { Currency, Topics } from '@rewards/contracts';
import { OutboxRelay, OutboxWriter } from '@rewards/messaging';
import { CallerIdentity, Clock } from '@rewards/service-kit';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { BookingsError } from '../bookings-error';
import { Booking } from '../bookings/booking.entity';
import { insertBookingWithEvent } from '../bookings/insert-booking';
import { checkLessonTimes, LessonDraft } from '../bookings/lesson-draft';
import { BookingsConfig } from '../config/bookings.config';
import { CardPayment, CardPayments } from '../payments/card-payments';
import { ChargeAttempts } from '../payments/charge-attempts';
import { holdsWalletFunds, QuoteTerms, reservationReference } from './checkout-quote';
import { applicableDiscount } from './choose-benefit';
import { verifiedQuote } from './quote-signature';
import { RefereeDiscounts } from './referee-discounts';
import { FundsShort, WalletClient } from './wallet.client';

const UNIQUE_VIOLATION = '23505';

export interface QuotedBookingCommand {
  draft: LessonDraft;
  quoteId: string;
  quoteSignature: string;
  /** Required when the quote's total is above zero. */
  paymentMethodId?: string;
}

/**
 * Books a lesson at its quote, exactly: the wallet holds the quoted credit and fee rebate first
 * (refused whole when it no longer has them), then the student's card is charged the quote's
 * total, then the booking and booking-confirmed commit together, then the hold is captured
 * (asked at once, and made for sure when the wallet reads booking-confirmed). Confirming a quote
 * again answers the same booking. A declined card gives the hold back; a booking that could not
 * commit refunds its charge and gives its hold back (or the wallet's sweep does).
 */
@Injectable()
export class ConfirmQuotedBooking {
  constructor(
    private readonly dataSource: DataSource,
    private readonly discounts: RefereeDiscounts,
    private readonly wallet: WalletClient,
    private readonly payments: CardPayments,
    private readonly attempts: ChargeAttempts,
    private readonly outbox: OutboxWriter,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  async execute(caller: CallerIdentity, command: QuotedBookingCommand): Promise<Booking> {
    // The signature carries the quote: nothing is read to know what to book.
    const quote = verifiedQuote(
      command.quoteId,
      command.quoteSignature,
      this.config.CHECKOUT_QUOTE_SECRET,
    );
    if (!quote) {
      throw new BookingsError(
        'QUOTE_SIGNATURE_INVALID',
        'the quote signature does not match: send the quote back unaltered',
        'quoteSignature',
      );
    }
    // Another student's quote is not theirs to see: the same answer as no quote.
    if (quote.studentId !== caller.userId) {
      throw new BookingsError('QUOTE_NOT_FOUND', 'no such quote', 'quoteId');
    }
    assertDraftMatches(quote, command.draft);
    // A repeated confirmation must answer the booking made, not charge the card again or find
    // the referral discount taken by that very booking: where either applies, one read first.
    // Otherwise a repeat goes on to the insert, where the booking's unique quote id answers it,
    // and a refusal on the way (expired, hold given back on cancel) looks for it before throwing.
    if (quote.totalCents > 0 || quote.benefitKind === 'referee_discount') {
      const earlier = await this.bookingOf(quote);
      if (earlier) return earlier;
    }
    const now = this.clock.now();
    if (now.getTime() >= quote.expiresAt.getTime()) {
      return this.bookedOr(
        quote,
        new BookingsError('QUOTE_EXPIRED', 'this quote has expired: ask for a new one'),
      );
    }
    const paymentMethodId = CardPayments.methodFor(quote.totalCents, command.paymentMethodId);
    // Checked before anything is held or charged. The accounts were checked when quoting: an
    // account is never deleted, and never stops being a live instructor or verified, so what
    // the quote saw still holds at the insert.
    checkLessonTimes(command.draft, quote.createdAt, this.config.MAX_LESSON_MINUTES);
    const reference = reservationReference(quote.id);
    const holds = holdsWalletFunds(quote);
    if (holds) {
      const earlier = await this.hold(quote, reference);
      if (earlier) return earlier;
    }
    let payment: CardPayment | undefined;
    if (paymentMethodId !== undefined) {
      try {
        payment = await this.payments.charge({
          bookingId: quote.bookingId,
          studentId: quote.studentId,
          amountCents: quote.totalCents,
          currency: quote.currency.trim(),
          paymentMethodId,
        });
      } catch (err) {
        if (!holds) throw err;
        await this.wallet.tryGiveBack(reference, 'not_confirmed');
        // The quote's hold is given back for good: paying with another card needs a new quote.
        throw err instanceof BookingsError && err.code === 'PAYMENT_DECLINED'
          ? new BookingsError(
              err.code,
              `${err.message}; your wallet credit is back: ask for a new quote`,
              'paymentMethodId',
            )
          : err;
      }
    }
    let booking: Booking;
    try {
      // Without a referral discount to lock and check or a charge attempt to mark booked, the
      // booking is one statement (with its event), atomic alone: no BEGIN and COMMIT round trips.
      booking =
        quote.benefitKind === 'referee_discount' || payment
          ? await this.dataSource.transaction((tx) => this.book(tx, quote, payment))
          : await this.insert(this.dataSource.manager, quote, undefined);
    } catch (err) {
      // The same quote confirmed concurrently: that booking is the answer and keeps the hold.
      if (isUniqueViolation(err)) {
        const winner = await this.bookingOf(quote);
        if (winner) {
          if (payment && winner.paymentIntentId !== payment.paymentIntentId) {
            await this.payments.tryRefund(quote.bookingId, payment);
          }
          return winner;
        }
      }
      if (payment) await this.payments.tryRefund(quote.bookingId, payment);
      if (holds) await this.wallet.tryGiveBack(reference, 'not_confirmed');
      throw err;
    }
    this.relay.kick();
    // Not waited for: the booking is confirmed and booking-confirmed, committed with it, makes
    // the wallet capture anyway; this batched call only makes it sooner, and loses nothing.
    if (holds) this.wallet.capture(reference);
    return booking;
  }

  /**
   * Holds the quote's wallet funds: null once held, or the booking a repeated confirmation
   * made already.
   */
  private async hold(quote: QuoteTerms, reference: string): Promise<Booking | null> {
    try {
      await this.wallet.reserve(reference, {
        bookingId: quote.bookingId,
        studentId: quote.studentId,
        creditCents: quote.benefitKind === 'wallet_credit' ? quote.benefitCents : 0,
        instructorId: quote.instructorId,
        feeRebateCents: quote.feeRebateCents,
        currency: quote.currency.trim() as Currency,
      });
      return null;
    } catch (err) {
      if (err instanceof FundsShort) {
        // A booked quote's hold given back (the booking cancelled) is refused too.
        return this.bookedOr(
          quote,
          new BookingsError(
            'QUOTE_NO_LONGER_HOLDS',
            'the wallet credit or fee rebate this quote applied has been used meanwhile: ask for a new quote',
          ),
        );
      }
      // A booked quote's hold is its booking's: given back as not confirmed, it would be refunded.
      const earlier = await this.bookingOf(quote);
      if (earlier) return earlier;
      // The hold may have been made after the call timed out: give it back rather than leave
      // the credit held until the wallet's sweep (a hold made after this too, the sweep frees).
      await this.wallet.tryGiveBack(reference, 'not_confirmed');
      throw err;
    }
  }

  /** The booking made from the quote, if one was. */
  private bookingOf(quote: QuoteTerms): Promise<Booking | null> {
    return this.dataSource.manager.findOneBy(Booking, { quoteId: quote.id });
  }

  /** The booking made from the quote (a repeated confirmation), or else the refusal thrown. */
  private async bookedOr(quote: QuoteTerms, refusal: BookingsError): Promise<Booking> {
    const earlier = await this.bookingOf(quote);
    if (earlier) return earlier;
    throw refusal;
  }

  private async book(
    tx: EntityManager,
    quote: QuoteTerms,
    payment: CardPayment | undefined,
  ): Promise<Booking> {
    if (quote.benefitKind === 'referee_discount') {
      const standing = await this.discounts.standing(tx, quote.studentId, quote.currency, true);
      if (applicableDiscount(quote.listPriceCents, standing).cents !== quote.benefitCents) {
        throw new BookingsError(
          'QUOTE_NO_LONGER_HOLDS',
          'the referral discount this quote applied is no longer available: ask for a new quote',
        );
      }
    }
    const booking = await this.insert(tx, quote, payment);
    if (payment) await this.attempts.markBooked(tx, payment.attemptId, payment.paymentIntentId);
    return booking;
  }

  /** The booking and booking-confirmed, in one statement. */
  private async insert(
    manager: EntityManager,
    quote: QuoteTerms,
    payment: CardPayment | undefined,
  ): Promise<Booking> {
    const now = this.clock.now();
    const currency = quote.currency.trim();
    const booking = Object.assign(new Booking(), {
      id: quote.bookingId,
      studentId: quote.studentId,
      instructorId: quote.instructorId,
      startsAt: quote.startsAt,
      endsAt: quote.endsAt,
      priceCents: quote.listPriceCents,
      currency,
      status: 'confirmed',
      confirmedAt: now,
      completedAt: null,
      completedBy: null,
      quoteId: quote.id,
      benefitKind: quote.benefitKind,
      benefitCents: quote.benefitCents,
      platformFeeCents: quote.platformFeeCents,
      feeRebateCents: quote.feeRebateCents,
      cancelledAt: null,
      cancelledBy: null,
      paymentIntentId: payment?.paymentIntentId ?? null,
      paymentFingerprintHash: payment?.fingerprintHash ?? null,
      paymentRefundId: null,
    } satisfies Booking);
    await insertBookingWithEvent(manager, booking, (firstParam) =>
      this.outbox.row(
        Topics.BookingConfirmed,
        booking.id,
        {
          bookingId: booking.id,
          studentId: booking.studentId,
          instructorId: booking.instructorId,
          price: { amountCents: quote.totalCents, currency: currency as Currency },
          startsAt: booking.startsAt.toISOString(),
          endsAt: booking.endsAt.toISOString(),
          confirmedAt: now.toISOString(),
        },
        { occurredAt: now },
        firstParam,
      ),
    );
    return booking;
  }
}

/** The booking asked for must be the lesson quoted: a changed field is a tampered request. */
function assertDraftMatches(quote: QuoteTerms, draft: LessonDraft): void {
  const differs: Array<[keyof LessonDraft, boolean]> = [
    ['instructorId', draft.instructorId !== quote.instructorId],
    ['startsAt', new Date(draft.startsAt).getTime() !== quote.startsAt.getTime()],
    ['endsAt', new Date(draft.endsAt).getTime() !== quote.endsAt.getTime()],
    ['priceCents', draft.priceCents !== quote.listPriceCents],
    ['currency', draft.currency !== quote.currency.trim()],
  ];
  const field = differs.find(([, d]) => d)?.[0];
  if (field) {
    throw new BookingsError(
      'QUOTE_MISMATCH',
      `${field} differs from the quote: book the lesson that was quoted`,
      field,
    );
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError &&
    (err.driverError as { code?: string }).code === UNIQUE_VIOLATION
  );
}
