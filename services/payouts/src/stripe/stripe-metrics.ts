import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ServiceMetrics } from '@rewards/service-kit';
import Stripe from 'stripe';
import { STRIPE } from './stripe.client';

/** `/v1/accounts/acct_123/...` -> `/v1/accounts/:id/...`: one series per endpoint, not per id. */
export function stripeEndpoint(path: string): string {
  return path.split('?')[0].replace(/\/[a-z]+_[A-Za-z0-9]+/g, '/:id');
}

/** Counts every Stripe API call by method, endpoint and HTTP status (429: rate limited). */
@Injectable()
export class StripeMetrics implements OnModuleInit {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly metrics: ServiceMetrics,
  ) {}

  onModuleInit(): void {
    const calls = this.metrics.counter({
      name: 'stripe_requests_total',
      help: 'Stripe API calls answered, by method, endpoint and status (429 = rate limited)',
      labelNames: ['method', 'endpoint', 'status'],
    });
    this.stripe.on('response', (event) => {
      calls.inc({
        method: event.method,
        endpoint: stripeEndpoint(event.path),
        status: String(event.status),
      });
    });
  }
}
