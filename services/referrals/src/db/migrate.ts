import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { ReferralsConfig } from '../config/referrals.config';
import { referralsDataSource } from './data-source';

void runMigrationsCommand('referrals', ReferralsConfig, (c) =>
  referralsDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'referrals'),
);
