import { createServiceDataSource } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { Booking } from '../bookings/booking.entity';
import { CreateBookingsSchema1763690000000 } from './migrations/1763690000000-create-bookings-schema';
import { AddMessagingReplayAndDeadLetters1796080000000 } from './migrations/1796080000000-add-messaging-replay-and-dead-letters';
import { AddSchemaLocks1796111000000 } from './migrations/1796111000000-add-schema-locks';

export const BOOKINGS_ENTITIES = [Account, Booking];

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
      AddSchemaLocks1796111000000,
    ],
  });
}
