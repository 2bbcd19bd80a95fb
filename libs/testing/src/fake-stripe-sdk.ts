import { stripeEndpoint } from '@rewards/service-kit';
import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe';

/**
 * The Stripe SDK pointed at a started fake the way the services point theirs, without the SDK's
 * own retries (they would hide what the fake answered) unless a test asks for them.
 */
export function sdkOf(fake: FakeStripe, options: Stripe.StripeConfig = {}): Stripe {
  return new Stripe('sk_test_fake', {
    ...stripeEndpoint(fake.url),
    telemetry: false,
    maxNetworkRetries: 0,
    ...options,
  });
}
