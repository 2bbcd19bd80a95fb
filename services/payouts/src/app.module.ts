import { DynamicModule, Module, Provider } from '@nestjs/common';
import { Clock, DataServiceModule, ServesHttpOn } from '@rewards/service-kit';
import Stripe from 'stripe';
import { AdminPayoutsController } from './admin/admin-payouts.controller';
import { ListPayouts } from './admin/list-payouts.query';
import { PayoutStats } from './admin/payout-stats.query';
import { RetryFailedPayout } from './admin/retry-failed-payout.usecase';
import { PayoutsConfig } from './config/payouts.config';
import { AfterCommit } from './db/after-commit';
import { payoutsDataSource } from './db/data-source';
import { PayoutClaims } from './payouts/payout-claims';
import { PayoutDestinationClient } from './payouts/payout-destination.client';
import { PayoutQueries } from './payouts/payout-queries.service';
import { PayoutRequestedConsumer } from './payouts/payout-requested.consumer';
import { PayoutsController } from './payouts/payouts.controller';
import { ProcessDuePayoutsJob } from './payouts/process-due-payouts.job';
import { RecordTransferOutcome } from './payouts/record-transfer-outcome';
import { TransferPayoutUseCase } from './payouts/transfer-payout.usecase';
import { STRIPE, stripeProvider } from './stripe/stripe.client';
import { StripeMetrics } from './stripe/stripe-metrics';
import { StripeRateLimiter } from './stripe/stripe-rate-limiter';
import { ApplyStripeEventUseCase } from './webhooks/apply-stripe-event.usecase';
import { StripeWebhookController } from './webhooks/stripe-webhook.controller';

@ServesHttpOn('fastify')
@Module({})
export class AppModule {
  static forRoot(
    config: PayoutsConfig,
    options: { clock?: Clock; stripe?: Stripe } = {},
  ): DynamicModule {
    const stripe: Provider = options.stripe
      ? { provide: STRIPE, useValue: options.stripe }
      : stripeProvider;
    return {
      module: AppModule,
      imports: [
        DataServiceModule.forRoot({
          service: 'payouts',
          config,
          clock: options.clock,
          dataSource: () =>
            payoutsDataSource(config.DATABASE_URL, config.DATABASE_SCHEMA ?? 'payouts'),
        }),
      ],
      controllers: [
        PayoutsController,
        AdminPayoutsController,
        PayoutRequestedConsumer,
        StripeWebhookController,
      ],
      providers: [
        { provide: PayoutsConfig, useValue: config },
        stripe,
        AfterCommit,
        PayoutDestinationClient,
        PayoutClaims,
        StripeRateLimiter,
        RecordTransferOutcome,
        StripeMetrics,
        TransferPayoutUseCase,
        ProcessDuePayoutsJob,
        PayoutQueries,
        ApplyStripeEventUseCase,
        ListPayouts,
        PayoutStats,
        RetryFailedPayout,
      ],
    };
  }
}
