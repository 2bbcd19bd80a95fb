import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { BookingsConfig } from '../config/bookings.config';
import { bookingsDataSource } from './data-source';

void runMigrationsCommand('bookings', BookingsConfig, (c) =>
  bookingsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'bookings'),
);
