import { Inject, Injectable, Logger } from '@nestjs/common';
import { attributionHash } from '@rewards/contracts';
import Stripe from 'stripe';
import { BookingsError } from '../bookings-error';
import { BookingsConfig } from '../config/bookings.config';
import { STRIPE } from './stripe.client';

/** A Stripe PaymentMethod id as Stripe.js hands it to a client. */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,200}$/;

export interface CardCharge {
  bookingId: string;
  amountCents: number;
  currency: string;
  paymentMethodId: string;
}

/** A charge that succeeded: what the booking keeps of it. */
export interface CardPayment {
  paymentIntentId: string;
  /** Keyed hash of the card's fingerprint: equal for one card, whatever the payment method. */
  fingerprintHash: string;
}

/**
 * The student's card, charged at Stripe when a priced booking is confirmed and refunded when it
 * is cancelled. Each call carries a key derived from the booking, so a retry (of the client, of
 * the SDK, after a crash) never charges or refunds twice. The card's fingerprint is read only to
 * be hashed: it is never stored, logged or published as it is.
 */
@Injectable()
export class CardPayments {
  private readonly logger = new Logger(CardPayments.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
  ) {}

  /** The payment method a booking with `amountCents` due must carry; refuses a missing one. */
  static methodFor(amountCents: number, paymentMethodId: string | undefined): string | undefined {
    if (amountCents <= 0) return undefined;
    if (paymentMethodId === undefined) {
      throw new BookingsError(
        'PAYMENT_METHOD_REQUIRED',
        'this lesson costs money: send paymentMethodId, the card payment method made by Stripe.js',
        'paymentMethodId',
      );
    }
    if (!PAYMENT_METHOD_ID.test(paymentMethodId)) {
      throw invalidMethod('paymentMethodId must be a Stripe payment method id (pm_...)');
    }
    return paymentMethodId;
  }

  async charge(charge: CardCharge): Promise<CardPayment> {
    const fingerprint = await this.fingerprintOf(charge.paymentMethodId);
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: charge.amountCents,
          currency: charge.currency.toLowerCase(),
          payment_method: charge.paymentMethodId,
          payment_method_types: ['card'],
          confirm: true,
          metadata: { booking_id: charge.bookingId },
        },
        // Per card: a retry with the same card replays its answer; another card is a new try.
        { idempotencyKey: `booking-${charge.bookingId}-${charge.paymentMethodId}` },
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) {
        this.logger.warn({
          message: 'card declined',
          bookingId: charge.bookingId,
          declineCode: err.decline_code ?? err.code,
        });
        throw declined(err.message);
      }
      if (isMissingPaymentMethod(err)) throw invalidMethod('no such payment method');
      throw this.unavailable('charge', charge.bookingId, err);
    }
    if (intent.status !== 'succeeded') {
      // E.g. requires_action (3-D Secure): this checkout cannot take the customer through it.
      throw declined(`the card payment was not completed (${intent.status})`);
    }
    return {
      paymentIntentId: intent.id,
      fingerprintHash: attributionHash(this.config.ATTRIBUTION_HASH_PEPPER, 'card', fingerprint),
    };
  }

  /** Refunds a charge in full; the same booking refunded again answers the same refund. */
  async refund(bookingId: string, paymentIntentId: string): Promise<string> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: paymentIntentId, metadata: { booking_id: bookingId } },
        { idempotencyKey: `refund-${paymentIntentId}` },
      );
      return refund.id;
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError && err.code === 'charge_already_refunded') {
        const earlier = await this.stripe.refunds
          .list({ payment_intent: paymentIntentId, limit: 1 })
          .catch((listErr: unknown) => {
            throw this.unavailable('refund', bookingId, listErr);
          });
        if (earlier.data[0]) return earlier.data[0].id;
      }
      throw this.unavailable('refund', bookingId, err);
    }
  }

  /** Gives a charge back after a booking could not be made of it; a failure is only logged. */
  async tryRefund(bookingId: string, paymentIntentId: string): Promise<void> {
    await this.refund(bookingId, paymentIntentId).catch((err: unknown) =>
      this.logger.error({
        message: 'refund of a charge without booking failed: refund it by hand',
        bookingId,
        paymentIntentId,
        err: String(err),
      }),
    );
  }

  private async fingerprintOf(paymentMethodId: string): Promise<string> {
    let method: Stripe.PaymentMethod;
    try {
      method = await this.stripe.paymentMethods.retrieve(paymentMethodId);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError && err.statusCode === 404) {
        throw invalidMethod('no such payment method');
      }
      throw this.unavailable('payment method', paymentMethodId, err);
    }
    const fingerprint = method.card?.fingerprint;
    if (method.type !== 'card' || !fingerprint) {
      throw invalidMethod('the payment method is not a card');
    }
    return fingerprint;
  }

  private unavailable(what: string, id: string, err: unknown): BookingsError {
    this.logger.error({ message: `stripe ${what} failed`, id, err: String(err) });
    return new BookingsError(
      'PAYMENT_UNAVAILABLE',
      'the card payment could not be made now (payment provider unavailable); retry',
    );
  }
}

function invalidMethod(message: string): BookingsError {
  return new BookingsError('PAYMENT_METHOD_INVALID', message, 'paymentMethodId');
}

function declined(stripeMessage: string): BookingsError {
  return new BookingsError(
    'PAYMENT_DECLINED',
    `the card was declined (${stripeMessage.replace(/\.$/, '')}): nothing was booked or charged, try another card`,
    'paymentMethodId',
  );
}

function isMissingPaymentMethod(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeInvalidRequestError &&
    err.code === 'resource_missing' &&
    err.param === 'payment_method'
  );
}
