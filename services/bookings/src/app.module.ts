import { DynamicModule, Module } from '@nestjs/common';
import { Clock, DataServiceModule, ServesHttpOn } from '@rewards/service-kit';
import { AccountsController, InternalAccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { AttributionPreviewClient } from './accounts/attribution-preview.client';
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
import { BookingsConfig } from './config/bookings.config';
import { bookingsDataSource } from './db/data-source';
import { EmailSender, SmtpEmailSender } from './notifications/email-sender';
import { FileSmsSender, SmsSender } from './notifications/sms-sender';
import { ConfirmVerificationCode } from './verification/confirm-verification-code.usecase';
import { SendVerificationCode } from './verification/send-verification-code.usecase';
import { VerificationController } from './verification/verification.controller';
import { RefundBooking } from './refunds/refund-booking.usecase';
import { RefundsController } from './refunds/refunds.controller';
import { CardPayments } from './payments/card-payments';
import { ChargeAttempts } from './payments/charge-attempts';
import { ReconcileChargeAttemptsJob } from './payments/reconcile-charge-attempts.job';
import { stripeProvider } from './payments/stripe.client';

@ServesHttpOn('fastify')
@Module({})
export class AppModule {
  static forRoot(
    config: BookingsConfig,
    options: { clock?: Clock; email?: EmailSender; sms?: SmsSender } = {},
  ): DynamicModule {
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
        VerificationController,
        RefundsController,
      ],
      providers: [
        { provide: BookingsConfig, useValue: config },
        AccountsService,
        AttributionPreviewClient,
        BookingsService,
        CancelBooking,
        CreateQuote,
        ConfirmQuotedBooking,
        RefereeDiscounts,
        WalletClient,
        stripeProvider,
        CardPayments,
        ChargeAttempts,
        ReconcileChargeAttemptsJob,
        CreditReminderEmailsJob,
        {
          provide: EmailSender,
          useFactory: () =>
            options.email ??
            new SmtpEmailSender(config.SMTP_URL, config.EMAIL_FROM, {
              user: config.SMTP_USERNAME,
              pass: config.SMTP_PASSWORD,
            }),
        },
        {
          provide: SmsSender,
          inject: [Clock],
          useFactory: (clock: Clock) =>
            options.sms ?? new FileSmsSender(config.SMS_LOG_FILE, () => clock.now()),
        },
        SendVerificationCode,
        ConfirmVerificationCode,
        RefundBooking,
      ],
    };
  }
}
