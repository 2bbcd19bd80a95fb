import { Inject, Injectable, Logger } from '@nestjs/common';
import { attributionHash } from '@rewards/contracts';
import Stripe from 'stripe';
import { BookingsError } from '../bookings-error';
import { BookingsConfig } from '../config/bookings.config';
import { ChargeAttempts } from './charge-attempts';
import { STRIPE } from './stripe.client';

/** A Stripe PaymentMethod id as Stripe.js hands it to a client. */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,200}$/;

export interface CardCharge {
  bookingId: string;
  studentId: string;
  amountCents: number;
  currency: string;
  paymentMethodId: string;
}

/** A charge that succeeded: what the booking keeps of it. */
export interface CardPayment {
  /** The charge_attempts row: marked booked in the booking's transaction. */
  attemptId: string;
  paymentIntentId: string;
  /** Keyed hash of the card's fingerprint: equal for one card, whatever the payment method. */
  fingerprintHash: string;
}

/**
 * The student's card, charged at Stripe when a priced booking is confirmed and refunded when it
 * is cancelled. Each charge is recorded (charge_attempts) before Stripe is called and its id is
 * the charge's idempotency key, so a retry (of the client, of the SDK) never charges twice and a
 * charge left without its booking (a crash) is found and refunded by the reconciliation job. The
 * card's fingerprint is read only to be hashed: it is never stored, logged or published as it is.
 */
@Injectable()
export class CardPayments {
  private readonly logger = new Logger(CardPayments.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
    private readonly attempts: ChargeAttempts,
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
    const currency = charge.currency.toLowerCase();
    // Committed before the call: whatever happens next, the reconciliation can find the charge.
    const attemptId = await this.attempts.open({ ...charge, currency });
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: charge.amountCents,
          currency,
          payment_method: charge.paymentMethodId,
          payment_method_types: ['card'],
          confirm: true,
          metadata: { booking_id: charge.bookingId, charge_attempt_id: attemptId },
        },
        // Per card: a retry with the same card replays its answer; another card is a new try.
        { idempotencyKey: attemptId },
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) {
        await this.attempts.settle(attemptId, 'declined', {
          paymentIntentId: err.payment_intent?.id,
        });
        this.logger.warn({
          message: 'card declined',
          bookingId: charge.bookingId,
          declineCode: err.decline_code ?? err.code,
        });
        throw declined(err.message);
      }
      if (isMissingPaymentMethod(err)) {
        await this.attempts.settle(attemptId, 'abandoned');
        throw invalidMethod('no such payment method');
      }
      // Left charging: whether Stripe charged is not known; the reconciliation finds out.
      throw this.unavailable('charge', charge.bookingId, err);
    }
    if (intent.status !== 'succeeded') {
      // E.g. requires_action (3-D Secure): this checkout cannot take the customer through it.
      await this.attempts.settle(attemptId, 'declined', { paymentIntentId: intent.id });
      throw declined(`the card payment was not completed (${intent.status})`);
    }
    return {
      attemptId,
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

  /**
   * Gives a charge back after a booking could not be made of it. A failure is logged and the
   * attempt stays charging: the reconciliation job refunds it once Stripe answers again.
   */
  async tryRefund(bookingId: string, payment: CardPayment): Promise<void> {
    const { attemptId, paymentIntentId } = payment;
    try {
      await this.attempts.recordIntent(attemptId, paymentIntentId);
      const refundId = await this.refund(bookingId, paymentIntentId);
      await this.attempts.settle(attemptId, 'refunded', { paymentIntentId, refundId });
    } catch (err) {
      this.logger.error({
        message: 'refund of a charge without booking failed: the reconciliation will retry it',
        bookingId,
        attemptId,
        paymentIntentId,
        err: String(err),
      });
    }
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
