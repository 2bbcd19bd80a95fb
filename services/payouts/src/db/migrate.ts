import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { PayoutsConfig } from '../config/payouts.config';
import { payoutsDataSource } from './data-source';

void runMigrationsCommand('payouts', PayoutsConfig, (c) =>
  payoutsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'payouts'),
);
