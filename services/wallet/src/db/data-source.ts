import { createServiceDataSource } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { LedgerAccount } from '../ledger/ledger-account.entity';
import { LedgerPosting } from '../ledger/ledger-posting.entity';
import { LedgerTransaction } from '../ledger/ledger-transaction.entity';
import { CreateWalletLedger1763700000000 } from './migrations/1763700000000-create-wallet-ledger';
import { AddMessagingReplayAndDeadLetters1796080000000 } from './migrations/1796080000000-add-messaging-replay-and-dead-letters';
import { CreateRewardRecords1796100000000 } from './migrations/1796100000000-create-reward-records';
import { AddAccountBalances1796100100000 } from './migrations/1796100100000-add-account-balances';
import { CreateCreditLots1796100200000 } from './migrations/1796100200000-create-credit-lots';
import { AddPendingRewards1796100300000 } from './migrations/1796100300000-add-pending-rewards';
import { CreateCreditReservations1796120000000 } from './migrations/1796120000000-create-credit-reservations';
import { RevokeLedgerChanges1796110000000 } from './migrations/1796110000000-revoke-ledger-changes';
import { AddSchemaLocks1796111000000 } from './migrations/1796111000000-add-schema-locks';
import { GuardLedgerAccountBalances1796130000000 } from './migrations/1796130000000-guard-ledger-account-balances';
import { AnnounceCheckoutCaptures1796140000000 } from './migrations/1796140000000-announce-checkout-captures';

const WALLET_ENTITIES = [LedgerAccount, LedgerTransaction, LedgerPosting];

/** The wallet DataSource: used by the app, `migrate`, `check-invariants` and the tests alike. */
export function walletDataSource(url: string, schema = 'wallet'): DataSource {
  return createServiceDataSource({
    service: 'wallet',
    url,
    schema,
    entities: WALLET_ENTITIES,
    migrations: [
      CreateWalletLedger1763700000000,
      AddMessagingReplayAndDeadLetters1796080000000,
      CreateRewardRecords1796100000000,
      AddAccountBalances1796100100000,
      CreateCreditLots1796100200000,
      AddPendingRewards1796100300000,
      RevokeLedgerChanges1796110000000,
      AddSchemaLocks1796111000000,
      CreateCreditReservations1796120000000,
      GuardLedgerAccountBalances1796130000000,
      AnnounceCheckoutCaptures1796140000000,
    ],
  });
}
