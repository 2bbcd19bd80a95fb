import { Provider } from '@nestjs/common';
import { stripeEndpoint } from '@rewards/service-kit';
import Stripe from 'stripe';
import { BookingsConfig } from '../config/bookings.config';

/** DI token of the Stripe SDK client. */
export const STRIPE = Symbol('STRIPE');

function createStripeClient(config: BookingsConfig): Stripe {
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...stripeEndpoint(config.STRIPE_API_URL),
    // Every charge and refund carries our own idempotency key, so one SDK retry is safe.
    maxNetworkRetries: 1,
    timeout: config.STRIPE_TIMEOUT_MS,
    telemetry: false,
  });
}

export const stripeProvider: Provider = {
  provide: STRIPE,
  inject: [BookingsConfig],
  useFactory: createStripeClient,
};
