import { DynamicModule, Module } from '@nestjs/common';
import { Clock, DataServiceModule } from '@rewards/service-kit';
import { UserRegisteredConsumer } from './attribution/user-registered.consumer';
import { ReferralsController } from './codes/referrals.controller';
import { ReferralsConfig } from './config/referrals.config';
import { referralsDataSource } from './db/data-source';
import { InstructorProgramConsumers } from './instructor-program/instructor-program.consumers';
import { LivePopup } from './instructor-program/live-popup';
import { LivePopupController } from './instructor-program/live-popup.controller';
import { FoundingStatusController } from './program/founding-status.controller';

@Module({})
export class AppModule {
  static forRoot(config: ReferralsConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DataServiceModule.forRoot({
          service: 'referrals',
          config,
          clock: options.clock,
          dataSource: () =>
            referralsDataSource(config.DATABASE_URL, config.DATABASE_SCHEMA ?? 'referrals'),
        }),
      ],
      controllers: [
        ReferralsController,
        FoundingStatusController,
        UserRegisteredConsumer,
        InstructorProgramConsumers,
        LivePopupController,
      ],
      providers: [{ provide: ReferralsConfig, useValue: config }, LivePopup],
    };
  }
}
