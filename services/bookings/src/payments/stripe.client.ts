import { Provider } from '@nestjs/common';
import Stripe from 'stripe';
import { BookingsConfig } from '../config/bookings.config';

/** DI token of the Stripe SDK client. */
export const STRIPE = Symbol('STRIPE');

function createStripeClient(config: BookingsConfig): Stripe {
  const api = config.STRIPE_API_URL ? new URL(config.STRIPE_API_URL) : undefined;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...(api
      ? {
          host: api.hostname,
          port: api.port || (api.protocol === 'https:' ? 443 : 80),
          protocol: api.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
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
