import { createServiceDataSource } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { Booking } from '../bookings/booking.entity';
import { ChargeAttempt } from '../payments/charge-attempt.entity';
import { CreateBookingsSchema1763690000000 } from './migrations/1763690000000-create-bookings-schema';
import { AddMessagingReplayAndDeadLetters1796080000000 } from './migrations/1796080000000-add-messaging-replay-and-dead-letters';
import { CreateCheckoutQuotes1796120200000 } from './migrations/1796120200000-create-checkout-quotes';
import { CreateCreditReminderEmails1796120300000 } from './migrations/1796120300000-create-credit-reminder-emails';
import { AddBookingPayments1796120400000 } from './migrations/1796120400000-add-booking-payments';
import { CreateChargeAttempts1796120500000 } from './migrations/1796120500000-create-charge-attempts';
import { DropCheckoutQuotes1796120600000 } from './migrations/1796120600000-drop-checkout-quotes';
import { CreateVerificationCodes1796110000000 } from './migrations/1796110000000-create-verification-codes';
import { VerificationCode } from '../verification/verification-code.entity';
import { AddSchemaLocks1796111000000 } from './migrations/1796111000000-add-schema-locks';

const BOOKINGS_ENTITIES = [Account, Booking, ChargeAttempt, VerificationCode];

/** The bookings DataSource: used by the app, `migrate` and the tests alike. */
export function bookingsDataSource(url: string, schema = 'bookings'): DataSource {
  return createServiceDataSource({
    service: 'bookings',
    url,
    schema,
    entities: BOOKINGS_ENTITIES,
    migrations: [
      CreateBookingsSchema1763690000000,
      AddMessagingReplayAndDeadLetters1796080000000,
      CreateVerificationCodes1796110000000,
      AddSchemaLocks1796111000000,
      CreateCheckoutQuotes1796120200000,
      CreateCreditReminderEmails1796120300000,
      AddBookingPayments1796120400000,
      CreateChargeAttempts1796120500000,
      DropCheckoutQuotes1796120600000,
    ],
  });
}
