import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { referralsDataSource } from './data-source';

void runMigrationsCommand('referrals', (c) =>
  referralsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'referrals'),
);
