import 'reflect-metadata';
import { runMigrationsCommand } from '@rewards/service-kit';
import { WalletConfig } from '../config/wallet.config';
import { walletDataSource } from './data-source';

void runMigrationsCommand('wallet', WalletConfig, (c) =>
  walletDataSource(c.DATABASE_URL, c.DATABASE_SCHEMA ?? 'wallet'),
);
