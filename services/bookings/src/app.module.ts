import { DynamicModule, Module } from '@nestjs/common';
import { Clock, DataServiceModule } from '@rewards/service-kit';
import { AccountsController, InternalAccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { BookingsController } from './bookings/bookings.controller';
import { BookingsService } from './bookings/bookings.service';
import { CancelBooking } from './bookings/cancel-booking.usecase';
import { CheckoutController } from './checkout/checkout.controller';
import { ConfirmQuotedBooking } from './checkout/confirm-quoted-booking.usecase';
import { CreateQuote } from './checkout/create-quote.usecase';
import { RefereeDiscounts } from './checkout/referee-discounts';
import { ReferralAttributedConsumer } from './checkout/referral-attributed.consumer';
import { WalletClient } from './checkout/wallet.client';
import { CreditExpiringConsumer } from './notifications/credit-expiring.consumer';
import { CreditReminderEmailsJob } from './notifications/credit-reminder-emails.job';
import { MailSender } from './notifications/mail-sender';
import { SmtpMailSender } from './notifications/smtp-mail-sender';
import { BookingsConfig } from './config/bookings.config';
import { bookingsDataSource } from './db/data-source';

@Module({})
export class AppModule {
  static forRoot(config: BookingsConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DataServiceModule.forRoot({
          service: 'bookings',
          config,
          clock: options.clock,
          dataSource: () =>
            bookingsDataSource(config.DATABASE_URL, config.DATABASE_SCHEMA ?? 'bookings'),
        }),
      ],
      controllers: [
        AccountsController,
        InternalAccountsController,
        BookingsController,
        CheckoutController,
        ReferralAttributedConsumer,
        CreditExpiringConsumer,
      ],
      providers: [
        { provide: BookingsConfig, useValue: config },
        AccountsService,
        BookingsService,
        CancelBooking,
        CreateQuote,
        ConfirmQuotedBooking,
        RefereeDiscounts,
        WalletClient,
        { provide: MailSender, useClass: SmtpMailSender },
        CreditReminderEmailsJob,
      ],
    };
  }
}
