import { createServiceDataSource } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Payout } from '../payouts/payout.entity';
import { TransferAttempt } from '../payouts/transfer-attempt.entity';
import { CreatePayoutsSchema1795228000000 } from './migrations/1795228000000-create-payouts-schema';
import { AddMessagingReplayAndDeadLetters1796080000000 } from './migrations/1796080000000-add-messaging-replay-and-dead-letters';
import { AddPayoutUnfinishedAttempts1796078441686 } from './migrations/1796078441686-add-payout-unfinished-attempts';
import { AddStripeWebhookEvents1796090000000 } from './migrations/1796090000000-add-stripe-webhook-events';
import { AddLeaseTokenAndStripeRateWindows1796091000000 } from './migrations/1796091000000-add-lease-token-and-stripe-rate-windows';
import { AddManualRetries1796121000000 } from './migrations/1796121000000-add-manual-retries';
import { AddStripeRateGrants1796121100000 } from './migrations/1796121100000-add-stripe-rate-grants';
import { AddSchemaLocks1796111000000 } from './migrations/1796111000000-add-schema-locks';

const PAYOUTS_ENTITIES = [Payout, TransferAttempt];

/** The payouts DataSource: used by the app, `migrate` and the tests alike. */
export function payoutsDataSource(url: string, schema = 'payouts'): DataSource {
  return createServiceDataSource({
    service: 'payouts',
    url,
    schema,
    entities: PAYOUTS_ENTITIES,
    migrations: [
      CreatePayoutsSchema1795228000000,
      AddPayoutUnfinishedAttempts1796078441686,
      AddMessagingReplayAndDeadLetters1796080000000,
      AddStripeWebhookEvents1796090000000,
      AddLeaseTokenAndStripeRateWindows1796091000000,
      AddSchemaLocks1796111000000,
      AddManualRetries1796121000000,
      AddStripeRateGrants1796121100000,
    ],
  });
}
