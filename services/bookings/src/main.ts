import 'reflect-metadata';
import { serviceMain } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { BookingsConfig } from './config/bookings.config';
import { mapBookingsError } from './bookings-error';

serviceMain({
  name: 'bookings',
  config: BookingsConfig,
  module: (config) => AppModule.forRoot(config),
  mapDomainError: mapBookingsError,
});
