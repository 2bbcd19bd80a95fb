import 'reflect-metadata';
import { DataServiceConfig, runMigrationsCommand } from '@rewards/service-kit';
import { bookingsDataSource } from './data-source';

// Migrations need only the database: not the checkout secret the app itself requires.
void runMigrationsCommand('bookings', DataServiceConfig, (c) =>
  bookingsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'bookings'),
);
