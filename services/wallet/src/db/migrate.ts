import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { walletDataSource } from './data-source';

void runMigrationsCommand('wallet', (c) =>
  walletDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'wallet'),
);
