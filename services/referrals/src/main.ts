import 'reflect-metadata';
import { serviceMain } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { ReferralsConfig } from './config/referrals.config';
import { mapReferralsError } from './referrals-error';

serviceMain({
  name: 'referrals',
  config: ReferralsConfig,
  module: (config) => AppModule.forRoot(config),
  mapDomainError: mapReferralsError,
});
