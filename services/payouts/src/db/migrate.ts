import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { payoutsDataSource } from './data-source';

void runMigrationsCommand('payouts', (c) =>
  payoutsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'payouts'),
);
