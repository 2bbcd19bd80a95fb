import { Provider } from '@nestjs/common';
import Stripe from 'stripe';
import { PayoutsConfig } from '../config/payouts.config';

/** DI token of the Stripe SDK client. */
export const STRIPE = Symbol('STRIPE');

function createStripeClient(config: PayoutsConfig): Stripe {
  const api = config.STRIPE_API_URL ? new URL(config.STRIPE_API_URL) : undefined;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...(api
      ? {
          host: api.hostname,
          port: api.port || (api.protocol === 'https:' ? 443 : 80),
          protocol: api.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
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
