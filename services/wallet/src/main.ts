import 'reflect-metadata';
import { serviceMain } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { WalletConfig } from './config/wallet.config';
import { mapWalletError } from './wallet-error';

serviceMain({
  name: 'wallet',
  config: WalletConfig,
  module: (config) => AppModule.forRoot(config),
  mapDomainError: mapWalletError,
});
