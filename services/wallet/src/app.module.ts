import { DynamicModule, Module } from '@nestjs/common';
import { Clock, DataServiceModule, ServesHttpOn } from '@rewards/service-kit';
import { WalletConfig } from './config/wallet.config';
import { walletDataSource } from './db/data-source';
import { SettleDebt } from './debt/settle-debt';
import { LedgerAccounts } from './ledger/ledger-accounts';
import { PostTransaction } from './ledger/post-transaction';
import { CreditExpiryJob } from './lots/credit-expiry.job';
import { CreditLots } from './lots/credit-lots';
import { ExpireDueCredit } from './lots/expire-due-credit.usecase';
import { RemindExpiringCredit } from './lots/remind-expiring-credit.usecase';
import { WalletInbox } from './messaging/wallet-inbox';
import { RewardEarnedConsumer } from './rewards/reward-earned.consumer';
import { RewardRecords } from './rewards/reward-records';
import { RewardUnlockedConsumer } from './rewards/reward-unlocked.consumer';
import { RewardVoidedConsumer } from './rewards/reward-voided.consumer';
import { BookingSettledConsumer } from './reservations/booking-settled.consumer';
import { AnnounceCaptures } from './reservations/announce-captures';
import { CaptureAtOnce } from './reservations/capture-at-once.statement';
import { CaptureReservations } from './reservations/capture-reservations.usecase';
import { CaptureHeldReservations } from './reservations/capture-held-reservations.usecase';
import { CaptureRunLocks } from './reservations/capture-run-locks';
import { CaptureReservation } from './reservations/capture-reservation.usecase';
import { CheckoutFunds } from './reservations/checkout-funds.query';
import { CreditReservations } from './reservations/credit-reservation';
import { ReleaseLapsedReservationsJob } from './reservations/release-lapsed-reservations.job';
import { ReservationsController } from './reservations/reservations.controller';
import { CaptureStatements } from './reservations/capture-statements';
import { HoldStatements } from './reservations/hold-statements';
import { ReserveCheckoutFunds } from './reservations/reserve-checkout-funds.usecase';
import { ReturnReservation } from './reservations/return-reservation.usecase';
import { SpendCredit } from './spend/spend-credit.usecase';
import { WalletController } from './wallet/wallet.controller';
import { WalletBalance } from './wallet/wallet-balance.query';
import { WalletHistory } from './wallet/wallet-history.query';

@ServesHttpOn('fastify')
@Module({})
export class AppModule {
  static forRoot(config: WalletConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DataServiceModule.forRoot({
          service: 'wallet',
          config,
          clock: options.clock,
          dataSource: () =>
            walletDataSource(config.DATABASE_URL, config.DATABASE_SCHEMA ?? 'wallet'),
        }),
      ],
      controllers: [WalletController, ReservationsController, WalletInbox],
      providers: [
        { provide: WalletConfig, useValue: config },
        LedgerAccounts,
        PostTransaction,
        RewardRecords,
        RewardUnlockedConsumer,
        RewardVoidedConsumer,
        SettleDebt,
        SpendCredit,
        CreditLots,
        ExpireDueCredit,
        RemindExpiringCredit,
        CreditExpiryJob,
        WalletBalance,
        WalletHistory,
        RewardEarnedConsumer,
        CreditReservations,
        HoldStatements,
        CaptureStatements,
        CheckoutFunds,
        ReserveCheckoutFunds,
        CaptureReservation,
        CaptureRunLocks,
        CaptureHeldReservations,
        CaptureAtOnce,
        CaptureReservations,
        ReturnReservation,
        AnnounceCaptures,
        ReleaseLapsedReservationsJob,
        BookingSettledConsumer,
      ],
    };
  }
}
