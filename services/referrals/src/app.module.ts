import { DynamicModule, Module } from '@nestjs/common';
import { Clock, DataServiceModule } from '@rewards/service-kit';
import { UserRegisteredConsumer } from './attribution/user-registered.consumer';
import { AttributionPreviewController, ClaimController } from './clicks/attribution.controller';
import { ClaimReferralCode } from './clicks/claim-referral-code.usecase';
import { ClickRecorder } from './clicks/click-recorder';
import { CodeDirectory } from './clicks/code-directory';
import { RedirectController } from './clicks/redirect.controller';
import { ReferralsController } from './codes/referrals.controller';
import { ReferralsConfig } from './config/referrals.config';
import { referralsDataSource } from './db/data-source';
import { InstructorProgramConsumers } from './instructor-program/instructor-program.consumers';
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
        RedirectController,
        ClaimController,
        AttributionPreviewController,
      ],
      providers: [
        { provide: ReferralsConfig, useValue: config },
        ClickRecorder,
        CodeDirectory,
        ClaimReferralCode,
      ],
    };
  }
}
