import 'reflect-metadata';
import { serviceMain } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { PayoutsConfig } from './config/payouts.config';
import { mapPayoutsError } from './payouts-error';

serviceMain({
  name: 'payouts',
  config: PayoutsConfig,
  module: (config) => AppModule.forRoot(config),
  mapDomainError: mapPayoutsError,
});
