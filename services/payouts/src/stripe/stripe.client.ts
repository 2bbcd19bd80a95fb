import { Provider } from '@nestjs/common';
import { stripeEndpoint } from '@rewards/service-kit';
import Stripe from 'stripe';
import { PayoutsConfig } from '../config/payouts.config';

/** DI token of the Stripe SDK client. */
export const STRIPE = Symbol('STRIPE');

function createStripeClient(config: PayoutsConfig): Stripe {
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...stripeEndpoint(config.STRIPE_API_URL),
    // Our retry schedule is the source of truth: every attempt is recorded, none hidden in the SDK.
    maxNetworkRetries: 0,
    timeout: config.STRIPE_TIMEOUT_MS,
    telemetry: false,
  });
}

export const stripeProvider: Provider = {
  provide: STRIPE,
  inject: [PayoutsConfig],
  useFactory: createStripeClient,
};
