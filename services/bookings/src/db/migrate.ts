import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { bookingsDataSource } from './data-source';

void runMigrationsCommand('bookings', (c) =>
  bookingsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'bookings'),
);
